package io.berth.cri.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.cdi.CdiDevices;
import io.berth.cri.cdi.QualifiedName;
import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.error.NotFoundException;
import io.berth.image.oci.ImageConfig;
import io.berth.image.store.ImageRecord;
import io.berth.oci.spec.CgroupPaths;
import io.berth.oci.spec.ContainerSpecInput;
import io.berth.oci.spec.DeviceEdits;
import io.berth.oci.spec.Devices;
import io.berth.oci.spec.RuntimeSpec;
import io.berth.oci.spec.SpecBuilder;
import io.berth.proto.runtime.v1.CDIDevice;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ContainerMetadata;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.NamespaceMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CDI devices from a container config through ContainerSpecs into the built spec. */
class CdiDevicesSpecTest {
  private static final ImageRecord IMAGE = new ImageRecord("sha256:" + "a".repeat(64), List.of("example.test/app:1"),
      List.of(), 1, List.of(), List.of(), List.of("sha256:" + "b".repeat(64)), new ImageConfig("amd64", "linux", null,
          null, new ImageConfig.Runtime(null, List.of("PATH=/bin"), null, List.of("sleep", "1"), null, null, null,
              null, null), new ImageConfig.RootFs("layers", List.of())), false);
  private static final ContainerSpecs.Pod POD = new ContainerSpecs.Pod("pod1", "web", "web",
      "/run/netns/pod1", "/run/netns/pod1.ipc", "/run/netns/pod1.uts", null, "/kubepods/pod1", null, null, null,
      null, NamespaceMode.POD, NamespaceMode.POD, NamespaceMode.CONTAINER);

  @TempDir Path rootfs;

  /** A fake registry: one device, and a record of what was asked. */
  private static final class FakeCdi implements CdiDevices {
    final List<List<QualifiedName>> asked = new ArrayList<>();

    @Override
    public DeviceEdits resolve(List<QualifiedName> devices) {
      asked.add(devices);
      for (QualifiedName device : devices) {
        if (!device.toString().equals("example.com/dev=null")) {
          throw new NotFoundException("CDI device " + device + " is not defined");
        }
      }
      return devices.isEmpty() ? DeviceEdits.NONE : new DeviceEdits(List.of("EXAMPLE=1"),
          List.of(new DeviceEdits.Node("/dev/berth-null", "c", 1, 3, null, null, null, "rw")),
          List.of(new RuntimeSpec.Mount("/opt/example", "bind", "/opt/example", List.of("ro", "rbind"))),
          List.of(), List.of());
    }
  }

  private static ContainerConfig.Builder config() {
    return ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName("app"))
        .setImage(ImageSpec.newBuilder().setImage("example.test/app:1"));
  }

  private RuntimeSpec build(FakeCdi cdi, ContainerConfig config) {
    ContainerSpecs specs = new ContainerSpecs(CgroupPaths.Driver.CGROUPFS,
        new ContainerSpecInput.HostFacts(0, false, -1L), cdi);
    return SpecBuilder.build(specs.input("c1", rootfs, config, POD, IMAGE, 0, ContainerSpecs.seccomp(config)));
  }

  @Test
  void aDeviceAskedByFieldOrAnnotationEndsUpInTheSpec() {
    FakeCdi cdi = new FakeCdi();
    for (ContainerConfig config : List.of(
        config().addCDIDevices(CDIDevice.newBuilder().setName("example.com/dev=null")).build(),
        config().putAnnotations("cdi.k8s.io/example", "example.com/dev=null").build())) {
      RuntimeSpec spec = build(cdi, config);
      assertThat(spec.process().env()).contains("EXAMPLE=1");
      assertThat(spec.linux().devices()).contains(new Devices.Node("/dev/berth-null", "c", 1, 3, null, null, null));
      assertThat(spec.linux().resources().devices()).contains(new Devices.Rule(true, "c", 1L, 3L, "rw"));
      assertThat(spec.mounts()).contains(new RuntimeSpec.Mount("/opt/example", "bind", "/opt/example",
          List.of("ro", "rbind")));
    }
    assertThat(cdi.asked).hasSize(2).allSatisfy(asked -> assertThat(asked).extracting(QualifiedName::toString)
        .containsExactly("example.com/dev=null"));
  }

  @Test
  void aContainerWithoutDevicesGetsNoEdits() {
    FakeCdi cdi = new FakeCdi();
    RuntimeSpec spec = build(cdi, config().build());
    assertThat(spec.linux().devices()).isNullOrEmpty();
    assertThat(spec.hooks()).isNull();
  }

  @Test
  void anUnknownDeviceIsNotFoundAndAMalformedNameInvalidBeforeAnyLookup() {
    FakeCdi cdi = new FakeCdi();
    assertThatThrownBy(() -> build(cdi, config()
        .addCDIDevices(CDIDevice.newBuilder().setName("example.com/dev=missing")).build()))
        .isInstanceOf(NotFoundException.class).hasMessageContaining("example.com/dev=missing");
    cdi.asked.clear();
    assertThatThrownBy(() -> build(cdi, config().putAnnotations("cdi.k8s.io/x", "missing").build()))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("'missing'");
    assertThat(cdi.asked).isEmpty();
  }
}
