package io.berth.cri.container;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UnsafeByteOperations;
import io.berth.proto.runtime.v1.ExecSyncResponse;
import org.junit.jupiter.api.Test;

/** Whatever ExecSync keeps, its reply fits the kubelet's 16 MiB message. */
class ExecSyncReplySizeTest {
  private static final int KUBELET_MAX_MESSAGE = 16 * 1024 * 1024;

  @Test
  void aReplyWithAllThatIsKeptFitsTheKubeletsLimit() {
    for (int stderr : new int[] {0, 1, 1 << 20, ExecSyncHandler.MAX_OUTPUT / 2, ExecSyncHandler.MAX_OUTPUT}) {
      var reply = ExecSyncResponse.newBuilder()
          .setStdout(UnsafeByteOperations.unsafeWrap(new byte[ExecSyncHandler.MAX_OUTPUT - stderr]))
          .setStderr(UnsafeByteOperations.unsafeWrap(new byte[stderr]))
          .setExitCode(-1) // the longest varint an exit code takes
          .build();
      assertThat(reply.getSerializedSize()).as("stderr " + stderr).isLessThanOrEqualTo(KUBELET_MAX_MESSAGE);
    }
  }
}
