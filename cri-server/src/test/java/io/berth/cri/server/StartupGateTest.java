package io.berth.cri.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StartupGateTest {
  private static final MethodDescriptor<byte[], byte[]> VERSION = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("runtime.v1.RuntimeService/Version")
      .setRequestMarshaller(new Bytes())
      .setResponseMarshaller(new Bytes())
      .build();
  private static final ServerServiceDefinition RUNTIME = ServerServiceDefinition.builder("runtime.v1.RuntimeService")
      .addMethod(VERSION, ServerCalls.asyncUnaryCall((request, reply) -> reply.onCompleted()))
      .build();

  private final StartupGate gate = new StartupGate();

  @Test
  void aCallBeforeTheServicesWaitsForThem() throws Exception {
    CompletableFuture<ServerMethodDefinition<?, ?>> lookup =
        CompletableFuture.supplyAsync(() -> gate.lookupMethod(VERSION.getFullMethodName(), null));
    assertThat(lookup).isNotDone();
    assertThat(gate.getServices()).isEmpty();

    gate.open(List.of(RUNTIME));

    assertThat(lookup.get(10, TimeUnit.SECONDS).getMethodDescriptor()).isSameAs(VERSION);
    assertThat(gate.getServices()).containsExactly(RUNTIME);
    assertThat(gate.lookupMethod("runtime.v1.RuntimeService/Bogus", null)).isNull();
  }

  @Test
  void aCallWaitingWhenTheDaemonStopsFindsNoMethod() throws Exception {
    CompletableFuture<ServerMethodDefinition<?, ?>> lookup =
        CompletableFuture.supplyAsync(() -> gate.lookupMethod(VERSION.getFullMethodName(), null));

    gate.close();

    assertThat(lookup.get(10, TimeUnit.SECONDS)).isNull();
  }

  /** Request and response bodies as they are. */
  private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
