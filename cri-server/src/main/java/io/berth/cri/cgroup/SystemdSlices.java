package io.berth.cri.cgroup;

import io.berth.oci.runtime.SpawnedProcess;
import io.berth.oci.spec.CgroupPaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pod slices under the systemd cgroup driver. systemd makes a slice the first time a container's
 * scope names it, and keeps it (active, empty) until someone stops it; the kubelet stops the pod
 * slices it made, berthd stops the ones it made ({@code berth-pod<id>.slice} for a pod whose
 * kubelet named no parent). Stopping is {@code systemctl stop}, which would also stop any unit
 * left inside, so it is called only once the pod's containers are gone.
 */
public final class SystemdSlices implements PodCgroups {
  private static final Logger log = LoggerFactory.getLogger(SystemdSlices.class);
  private static final long TIMEOUT_SECONDS = 30;

  private final String systemctl;

  public SystemdSlices(String systemctl) {
    this.systemctl = systemctl;
  }

  /** The slice berthd makes for pod {@code id}: nested in {@code berth.slice} by systemd's dash rule. */
  public static String podSlice(String id) {
    return "berth-pod" + id + ".slice";
  }

  @Override
  public void remove(String slice) {
    if (!CgroupPaths.isSliceName(slice)) {
      // A pod made under the cgroupfs driver before a switch: its cgroup is not a unit to stop.
      log.warn("pod cgroup={} is no slice; left to the cgroupfs driver's clean-up", slice);
      return;
    }
    SpawnedProcess process = null;
    try {
      process = SpawnedProcess.collect(List.of(systemctl, "stop", slice), Map.of());
      SpawnedProcess.Output output = process.output().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (output.exitCode() != 0) {
        log.warn("cannot stop pod slice={} exit={} error={}", slice, output.exitCode(),
            new String(output.stderr(), StandardCharsets.UTF_8).strip());
      }
    } catch (TimeoutException e) {
      process.destroyForcibly();
      log.warn("systemctl stop {} took more than {} s; left to systemd", slice, TIMEOUT_SECONDS);
    } catch (IOException | ExecutionException e) {
      log.warn("cannot stop pod slice={} error={}", slice, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
