package io.berth.cri.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Context;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StartupGateTest {
  private static final MethodDescriptor<byte[], byte[]> VERSION = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("runtime.v1.RuntimeService/Version")
      .setRequestMarshaller(StartupGate.RawBytes.INSTANCE)
      .setResponseMarshaller(StartupGate.RawBytes.INSTANCE)
      .build();
  private static final ServerServiceDefinition RUNTIME = ServerServiceDefinition.builder("runtime.v1.RuntimeService")
      .addMethod(VERSION, ServerCalls.asyncUnaryCall((request, reply) -> reply.onCompleted()))
      .build();

  private final StartupGate gate = new StartupGate();

  @Test
  void aCallBeforeTheServicesWaitsForThem() throws Exception {
    CompletableFuture<ServerMethodDefinition<?, ?>> lookup = new CompletableFuture<>();
    Thread caller =
        Thread.ofVirtual().start(() -> lookup.complete(gate.lookupMethod(VERSION.getFullMethodName(), null)));
    await().atMost(Duration.ofSeconds(10)).until(() -> caller.getState() == Thread.State.WAITING);
    assertThat(lookup).isNotDone();
    assertThat(gate.getServices()).isEmpty();

    gate.open(List.of(RUNTIME));

    assertThat(lookup.get(10, TimeUnit.SECONDS).getMethodDescriptor()).isSameAs(VERSION);
    assertThat(gate.getServices()).containsExactly(RUNTIME);
    assertThat(gate.lookupMethod("runtime.v1.RuntimeService/Bogus", null)).isNull();
    assertThatThrownBy(() -> gate.open(List.of(RUNTIME))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void lookupsHopToTheWaitingExecutorOnlyUntilTheGateOpens() {
    List<Runnable> handedOff = new ArrayList<>();
    Executor lookups = gate.lookupExecutor(handedOff::add);
    List<String> ran = new ArrayList<>();

    lookups.execute(() -> ran.add("before"));
    assertThat(ran).as("may park: not on the calling transport thread").isEmpty();
    assertThat(handedOff).hasSize(1);

    gate.open(List.of(RUNTIME));
    lookups.execute(() -> ran.add("after"));
    assertThat(ran).as("a map lookup, run where the call arrived").containsExactly("after");
    assertThat(handedOff).hasSize(1);
  }

  @Test
  void aGateClosedBeforeItOpenedLooksUpInlineToo() {
    List<Runnable> handedOff = new ArrayList<>();
    Executor lookups = gate.lookupExecutor(handedOff::add);
    List<String> ran = new ArrayList<>();

    gate.close();
    lookups.execute(() -> ran.add("stopping"));

    assertThat(ran).as("UNAVAILABLE at once, never a shut-down executor").containsExactly("stopping");
    assertThat(handedOff).isEmpty();
  }

  @Test
  void aCallWaitingWhenTheDaemonStopsEndsUnavailable() throws Exception {
    CompletableFuture<ServerMethodDefinition<?, ?>> lookup =
        CompletableFuture.supplyAsync(() -> gate.lookupMethod(VERSION.getFullMethodName(), null));

    gate.close();

    ServerMethodDefinition<?, ?> answer = lookup.get(10, TimeUnit.SECONDS);
    assertThat(answer.getMethodDescriptor().getFullMethodName()).isEqualTo(VERSION.getFullMethodName());
    assertThat(answer).isNotSameAs(RUNTIME.getMethod(VERSION.getFullMethodName()));
  }

  @Test
  void aCallThatEndsWhileWaitingStopsWaiting() throws Exception {
    Context.CancellableContext call = Context.current().withCancellation();
    CompletableFuture<ServerMethodDefinition<?, ?>> lookup = new CompletableFuture<>();
    Runnable caller = () -> lookup.complete(gate.lookupMethod(VERSION.getFullMethodName(), null));
    Thread.ofVirtual().start(call.wrap(caller));

    call.cancel(null);

    assertThat(lookup.get(10, TimeUnit.SECONDS).getMethodDescriptor().getFullMethodName())
        .isEqualTo(VERSION.getFullMethodName());
  }
}
