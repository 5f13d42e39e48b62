package io.berth.cri.doctor;

import io.berth.cri.config.BerthConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every check of a node, in the order an operator fixes things: kernel, cgroups, the runtime
 * binaries, networking, registries, disks and clock, then the running berthd. A check that
 * throws is reported as a failure of that check rather than ending the run.
 */
public final class Doctor {
  private Doctor() {}

  /** The checks for {@code config} on {@code host}, the last ones asking berthd through {@code probe}. */
  public static List<Check> checks(BerthConfig config, Host host, BerthdProbe probe) {
    CgroupLayout layout = CgroupLayout.read(host);
    BerthConfig.Runtime runtime = config.runtime();
    List<Check> checks = new ArrayList<>(List.of(
        new KernelCheck(host),
        new OverlayCheck(host),
        new IdmappedMountsCheck(host),
        new UserNamespacesCheck(host),
        new SeccompCheck(host),
        new CgroupVersionCheck(layout),
        new CgroupControllersCheck(layout),
        new CgroupDriverCheck(host, runtime.cgroupDriver())));
    // The default handler first, then the others by name.
    checks.add(new RuntimeHandlerCheck(host, runtime.defaultHandler(), runtime.handlers().get(runtime.defaultHandler()),
        true, layout));
    Map<String, String> others = new TreeMap<>(runtime.handlers());
    others.remove(runtime.defaultHandler());
    others.forEach((handler, binary) -> checks.add(new RuntimeHandlerCheck(host, handler, binary, false, layout)));
    checks.addAll(List.of(
        new ConmonCheck(host, runtime.conmon()),
        new CatatonitCheck(host, runtime.catatonit(), runtime.dropInfraContainer()),
        new LibcryptoCheck(host),
        new CniConfigCheck(host, config.network()),
        new CniPluginsCheck(host, config.network()),
        new RegistryHostsCheck(host, config.registry()),
        new DiskCheck(host, "root", "root", config.root()),
        new DiskCheck(host, "state", "state", config.state()),
        new ClockCheck(host),
        new SocketCheck(host, config.socket()),
        new BerthdCheck(probe),
        new ConditionCheck(probe, "RuntimeReady", "runtime-ready",
            "see runtime-" + runtime.defaultHandler() + " (the default handler's binary)"),
        new ConditionCheck(probe, "NetworkReady", "network-ready", "see cni-config and cni-plugins")));
    return checks;
  }

  /** Runs every check; {@code first} (the configuration's result) leads the list. */
  public static List<Result> run(Result first, List<Check> checks) {
    List<Result> results = new ArrayList<>();
    results.add(first);
    for (Check check : checks) {
      try {
        results.add(check.run());
      } catch (RuntimeException e) {
        results.add(Result.fail(check.name(), "the check itself failed: " + e,
            "report this as a berth bug, with the output of berthctl doctor -o json"));
      }
    }
    return results;
  }

  /** 0 when nothing failed, 1 otherwise. */
  public static int exitCode(List<Result> results) {
    return results.stream().anyMatch(r -> r.status() == Status.FAIL) ? 1 : 0;
  }
}
