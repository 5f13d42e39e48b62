package io.berth.cri.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.oci.runtime.ContainerNotFoundException;
import io.berth.oci.runtime.ContainerNotRunningException;
import io.berth.oci.runtime.ConfigRefusedException;
import io.berth.oci.runtime.OciRuntimeException;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

/** The runtime's typed failures become precise codes, with the runtime's own words as the message. */
class ErrorMapperTest {
  @Test
  void unknownContainerIsNotFound() {
    Status status = ErrorMapper.toStatus(new ContainerNotFoundException("runc start c1: container does not exist"));
    assertThat(status.getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(status.getDescription()).isEqualTo("runc start c1: container does not exist");
  }

  @Test
  void stoppedContainerIsAFailedPrecondition() {
    Status status = ErrorMapper.toStatus(
        new ContainerNotRunningException("runc start c1: cannot start a container that has stopped"));
    assertThat(status.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
  }

  @Test
  void anyOtherRuntimeFailureIsInternalWithTheRuntimesText() {
    Status status = ErrorMapper.toStatus(new OciRuntimeException("runc create c1: exec: \"nope\": not found"));
    assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(status.getDescription()).isEqualTo("runc create c1: exec: \"nope\": not found");
  }

  @Test
  void aCreateTheRuntimeRefusedForWhatTheRequestAskedIsInvalidArgumentWithTheRuntimesText() {
    String einval = "runc create failed: unable to start container process: error during container init: "
        + "write /proc/sys/net/ipv4/ip_unprivileged_port_start: invalid argument";
    Status status = ErrorMapper.toStatus(ConfigRefusedException.ofCreate(einval));
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).isEqualTo(einval);
    assertThat(ErrorMapper.toStatus(ConfigRefusedException.ofCreate("runc create failed: unable to start container "
        + "process: exec: \"nope\": executable file not found in $PATH")).getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(ErrorMapper.toStatus(ConfigRefusedException.ofCreate("conmon: cannot open log: permission denied"))
        .getCode()).isEqualTo(Status.Code.INTERNAL);
  }

  @Test
  void descriptionsAreCutAndTheirControlCharactersEscaped() {
    Status status = ErrorMapper.toStatus(new OciRuntimeException("runc: bad\n\u001b[31m" + "x".repeat(10_000)));
    assertThat(status.getDescription()).startsWith("runc: bad\\x0a\\x1b[31m").endsWith("(10015 characters)")
        .hasSizeLessThan(4200);
  }
}
