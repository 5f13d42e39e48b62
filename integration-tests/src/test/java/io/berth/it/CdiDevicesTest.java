package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.client.CriClient;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.CDIDevice;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.ExecSyncResponse;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CDI devices on a real berthd: spec files (YAML and JSON) in directories the test configures
 * expose the host's /dev/null and /dev/zero under other names, with an environment variable, a
 * read-only bind mount and a createRuntime hook; containers ask for them by CDI_devices and by
 * cdi.k8s.io/ annotation.
 */
class CdiDevicesTest {
  @TempDir static Path shared;
  static Path specs;
  static Path dynamicSpecs;
  static Path data;
  static Registry registry;
  static BerthdProcess berthd;
  static String image;

  @BeforeAll
  static void startBerthdWithSpecs() throws IOException {
    registry = Registry.start(shared.resolve("registry"));
    FixtureImages.get().pushAll(registry);
    specs = Files.createDirectories(shared.resolve("etc-cdi"));
    dynamicSpecs = shared.resolve("run-cdi"); // does not exist yet: a driver makes it after berthd starts
    data = Files.createDirectories(shared.resolve("vendor-data"));
    Files.writeString(data.resolve("hello"), "from the vendor\n");
    Files.writeString(specs.resolve("berth-test.yaml"), """
        ---
        cdiVersion: "0.6.0"
        kind: berth.test/dev
        containerEdits:
          env:
            - BERTH_CDI_SPEC=shared
        devices:
          - name: "null"
            containerEdits:
              env:
                - BERTH_CDI_NULL=yes
              deviceNodes:
                - path: /dev/berth-null
                  hostPath: /dev/null
                  permissions: rw
              mounts:
                - hostPath: %s
                  containerPath: /opt/berth-cdi
                  type: bind
                  options: [rbind, ro]
              hooks:
                - hookName: createRuntime
                  path: /bin/sh
                  args: [sh, -c, "cat > %s"]
                  timeout: 10
          - name: zero
            containerEdits:
              deviceNodes:
                - path: /dev/berth-zero
                  hostPath: /dev/zero
                  type: c
                  major: 1
                  minor: 5
        """.formatted(data, shared.resolve("hook-state.json")));
    // A broken file next to it: logged and skipped, the good file's devices still work.
    Files.writeString(specs.resolve("broken.yaml"), """
        cdiVersion: "42.0.0"
        kind: berth.test/dev
        devices:
          - {name: lost, containerEdits: {env: [LOST=1]}}
        """);
    berthd = BerthdProcess.start(shared.resolve("berthd"),
        "[cdi]\nspec_dirs = ['" + specs + "', '" + dynamicSpecs + "']\n");
    image = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
    CriCalls.pull(berthd.client(), image);
  }

  @AfterAll
  static void stopAll() {
    if (berthd != null) {
      Pods.removeAll(berthd.client());
      assertThat(HostTraces.of(berthd)).as("host traces after every pod is removed").isEmpty();
      berthd.close();
    }
    registry.close();
  }

  @Test
  void devicesAskedInTheFieldAreNodesEnvMountsAndHooksInTheContainer() throws IOException {
    CriClient client = berthd.client();
    String id = run(client, "field", Pods.containerConfig("app", image, "sleep", "600")
        .addCDIDevices(CDIDevice.newBuilder().setName("berth.test/dev=null"))
        .addCDIDevices(CDIDevice.newBuilder().setName("berth.test/dev=zero")));

    assertThat(exec(client, id, "ls -l /dev/berth-null").getStdout().toStringUtf8())
        .as("a character device 1,3 made from the host's /dev/null").matches("(?s)c.* 1, +3 .*/dev/berth-null\n");
    assertThat(exec(client, id, "echo data > /dev/berth-null && echo written").getStdout().toStringUtf8())
        .isEqualTo("written\n");
    assertThat(exec(client, id, "head -c 4 /dev/berth-zero | od -An -tx1").getStdout().toStringUtf8().strip())
        .isEqualTo("00 00 00 00");
    assertThat(exec(client, id, "echo $BERTH_CDI_SPEC $BERTH_CDI_NULL").getStdout().toStringUtf8())
        .isEqualTo("shared yes\n");
    assertThat(exec(client, id, "cat /opt/berth-cdi/hello").getStdout().toStringUtf8())
        .isEqualTo("from the vendor\n");
    ExecSyncResponse write = exec(client, id, "touch /opt/berth-cdi/new");
    assertThat(write.getExitCode()).as("the mount is read-only").isNotZero();
    assertThat(Files.readString(shared.resolve("hook-state.json")))
        .as("the createRuntime hook got the container's state").contains(id);
  }

  @Test
  void aDeviceAskedByAnnotationIsInjectedAloneWithoutTheOthers() {
    CriClient client = berthd.client();
    String id = run(client, "annotated", Pods.containerConfig("app", image, "sleep", "600")
        .putAnnotations("cdi.k8s.io/berth-test_zero", "berth.test/dev=zero"));
    assertThat(exec(client, id, "head -c 4 /dev/berth-zero | od -An -tx1").getStdout().toStringUtf8().strip())
        .isEqualTo("00 00 00 00");
    assertThat(exec(client, id, "test -e /dev/berth-null").getExitCode()).isNotZero();
    assertThat(exec(client, id, "echo \"$BERTH_CDI_SPEC\"").getStdout().toStringUtf8())
        .as("the spec's own edits come with any of its devices").isEqualTo("shared\n");
  }

  @Test
  void unknownDevicesAreNotFoundAndMalformedNamesInvalid() {
    CriClient client = berthd.client();
    PodSandboxConfig pod = Pods.podConfig("unknown", shared.resolve("logs/unknown")).build();
    String podId = Pods.runPod(client, pod);
    assertThatThrownBy(() -> Pods.create(client, podId, pod, Pods.containerConfig("app", image, "sleep", "600")
        .addCDIDevices(CDIDevice.newBuilder().setName("berth.test/dev=missing")).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(e.getStatus().getDescription()).contains("berth.test/dev=missing").contains(specs.toString());
        });
    assertThatThrownBy(() -> Pods.create(client, podId, pod, Pods.containerConfig("app", image, "sleep", "600")
        .addCDIDevices(CDIDevice.newBuilder().setName("berth.test/dev=lost")).build()))
        .as("a device of the broken file is unknown, and the error names the file")
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(e.getStatus().getDescription()).contains("broken.yaml").contains("42.0.0");
        });
    assertThatThrownBy(() -> Pods.create(client, podId, pod, Pods.containerConfig("app", image, "sleep", "600")
        .putAnnotations("cdi.k8s.io/bad", "dev-null").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains("cdi.k8s.io/bad").contains("'dev-null'");
        });
  }

  @Test
  void aSpecWrittenAfterBerthdStartedIsUsedWithoutARestart() throws IOException {
    Files.createDirectories(dynamicSpecs);
    Files.writeString(dynamicSpecs.resolve("late.json"), """
        {"cdiVersion": "0.5.0", "kind": "berth.test/late",
         "devices": [{"name": "zero0", "containerEdits": {"deviceNodes": [
           {"path": "/dev/berth-late", "hostPath": "/dev/zero"}]}}]}
        """);
    CriClient client = berthd.client();
    String id = run(client, "late", Pods.containerConfig("app", image, "sleep", "600")
        .addCDIDevices(CDIDevice.newBuilder().setName("berth.test/late=zero0")));
    assertThat(exec(client, id, "head -c 2 /dev/berth-late | od -An -tx1").getStdout().toStringUtf8().strip())
        .isEqualTo("00 00");
  }

  private String run(CriClient client, String name, ContainerConfig.Builder container) {
    PodSandboxConfig pod = Pods.podConfig(name, shared.resolve("logs/" + name)).build();
    String podId = Pods.runPod(client, pod);
    return Pods.run(client, podId, pod, container.build());
  }

  private static ExecSyncResponse exec(CriClient client, String id, String script) {
    return client.runtime(30_000).execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("/bin/sh", "-c", script)).setTimeout(20).build());
  }
}
