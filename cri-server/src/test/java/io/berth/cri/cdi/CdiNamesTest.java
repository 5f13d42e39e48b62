package io.berth.cri.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.proto.runtime.v1.CDIDevice;
import io.berth.proto.runtime.v1.ContainerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Fully qualified CDI device names, and the devices a container config asks for. */
class CdiNamesTest {
  @Test
  void aQualifiedNameSplitsIntoVendorClassAndName() {
    QualifiedName name = QualifiedName.parse("nvidia.com/gpu=GPU-0:1");
    assertThat(name).isEqualTo(new QualifiedName("nvidia.com", "gpu", "GPU-0:1"));
    assertThat(name.kind()).isEqualTo("nvidia.com/gpu");
    assertThat(name).hasToString("nvidia.com/gpu=GPU-0:1");
    assertThat(QualifiedName.parse("vendor.com/class.sub=0").name()).isEqualTo("0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "gpu0", "/dev/null", "vendor.com/class", "vendor.com=x", "=x", "/class=x",
      "vendor.com/=x", "vendor.com/class=", "1vendor/class=x", "vendor-/class=x", "vendor/cl@ss=x",
      "vendor/class=-x", "vendor/class=x_", "vendor/class=a b", "vendor/class=a/b"})
  void malformedNamesAreRefusedWithTheReason(String device) {
    assertThatThrownBy(() -> QualifiedName.parse(device)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'");
  }

  @Test
  void devicesComeFromTheFieldThenTheAnnotationsInKeyOrderEachOnce() {
    ContainerConfig config = ContainerConfig.newBuilder()
        .addCDIDevices(CDIDevice.newBuilder().setName("example.com/dev=b"))
        .addCDIDevices(CDIDevice.newBuilder().setName("example.com/dev=a"))
        .putAnnotations("cdi.k8s.io/z-plugin", "example.com/dev=z")
        .putAnnotations("cdi.k8s.io/a-plugin_0", "example.com/dev=c,example.com/dev=a")
        .putAnnotations("io.kubernetes.other", "not a device")
        .build();
    assertThat(CdiRequests.of(config)).extracting(QualifiedName::toString)
        .containsExactly("example.com/dev=b", "example.com/dev=a", "example.com/dev=c", "example.com/dev=z");
  }

  @Test
  void aConfigWithoutDevicesAsksForNone() {
    assertThat(CdiRequests.of(ContainerConfig.getDefaultInstance())).isEmpty();
  }

  @Test
  void aMalformedNameIsInvalidArgumentNamingWhereItCameFrom() {
    assertThatThrownBy(() -> CdiRequests.of(ContainerConfig.newBuilder()
        .addCDIDevices(CDIDevice.newBuilder().setName("gpu0")).build()))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("CDI_devices").hasMessageContaining("gpu0");
    assertThatThrownBy(() -> CdiRequests.of(ContainerConfig.newBuilder()
        .putAnnotations("cdi.k8s.io/plugin", "example.com/dev=a,,example.com/dev=b").build()))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("annotation cdi.k8s.io/plugin");
  }
}
