package io.berth.cri.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.proto.runtime.v1.ImageServiceGrpc;
import io.berth.proto.runtime.v1.RuntimeServiceGrpc;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/** Only the listed in-memory RPCs run inline; every other call gets the blocking executor, never null. */
class InlineCallExecutorTest {
  private final List<Runnable> blocked = new ArrayList<>();
  private final Executor blocking = blocked::add;
  private final InlineCallExecutor supplier = new InlineCallExecutor(blocking);

  @Test
  void everyRuntimeAndImageMethodOutsideTheListGetsTheBlockingExecutor() {
    List<MethodDescriptor<?, ?>> methods = new ArrayList<>();
    RuntimeServiceGrpc.getServiceDescriptor().getMethods().forEach(methods::add);
    ImageServiceGrpc.getServiceDescriptor().getMethods().forEach(methods::add);
    int inline = 0;
    for (MethodDescriptor<?, ?> method : methods) {
      Executor executor = supplier.getExecutor(new CallOf<>(method), new Metadata());
      assertThat(executor).as(method.getFullMethodName()).isNotNull();
      if (InlineCallExecutor.INLINE_RPCS.contains(method.getFullMethodName())) {
        inline++;
        List<String> ran = new ArrayList<>();
        executor.execute(() -> ran.add("here"));
        assertThat(ran).as(method.getFullMethodName() + " runs where it is called").containsExactly("here");
      } else {
        assertThat(executor).as(method.getFullMethodName()).isSameAs(blocking);
      }
    }
    assertThat(inline).as("every listed name is a real RPC").isEqualTo(InlineCallExecutor.INLINE_RPCS.size());
    assertThat(blocked).isEmpty();
  }

  /** A call that only knows its method: all the supplier reads. */
  private static final class CallOf<Q, R> extends ServerCall<Q, R> {
    private final MethodDescriptor<Q, R> method;

    CallOf(MethodDescriptor<Q, R> method) {
      this.method = method;
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return method;
    }

    @Override
    public void request(int count) {}

    @Override
    public void sendHeaders(Metadata headers) {}

    @Override
    public void sendMessage(R message) {}

    @Override
    public void close(Status status, Metadata trailers) {}

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public Attributes getAttributes() {
      return Attributes.EMPTY;
    }
  }
}
