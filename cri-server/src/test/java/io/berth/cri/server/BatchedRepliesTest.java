package io.berth.cri.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.cri.metrics.CriMetrics;
import io.berth.proto.runtime.v1.Container;
import io.berth.proto.runtime.v1.ContainerFilter;
import io.berth.proto.runtime.v1.RuntimeServiceGrpc;
import io.berth.proto.runtime.v1.StreamContainersRequest;
import io.berth.proto.runtime.v1.StreamContainersResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchedRepliesTest {
  private static List<Container> containers(int count) {
    return IntStream.range(0, count).mapToObj(i -> Container.newBuilder().setId(String.format("c%04d", i)).build())
        .toList();
  }

  private static StreamContainersResponse batch(List<Container> items) {
    return StreamContainersResponse.newBuilder().addAllContainers(items).build();
  }

  private static List<String> ids(List<StreamContainersResponse> sent) {
    return sent.stream().flatMap(r -> r.getContainersList().stream()).map(Container::getId).toList();
  }

  @Test
  void aThousandObjectsGoOutOnceEachInOrderInBatchesOfAHundred() {
    var stream = new FakeServerStream<StreamContainersResponse>();
    List<Container> items = containers(1000);
    BatchedReplies.send(items, BatchedRepliesTest::batch, stream);
    assertThat(stream.sent).hasSize(10).allSatisfy(r -> assertThat(r.getContainersCount()).isEqualTo(100));
    assertThat(ids(stream.sent)).isEqualTo(items.stream().map(Container::getId).toList());
    assertThat(stream.completed).isTrue();
  }

  @Test
  void theLastBatchHoldsTheRest() {
    var stream = new FakeServerStream<StreamContainersResponse>();
    BatchedReplies.send(containers(250), BatchedRepliesTest::batch, stream);
    assertThat(stream.sent).extracting(StreamContainersResponse::getContainersCount).containsExactly(100, 100, 50);
  }

  @Test
  void anEmptyListSendsNoMessageAndEndsTheStream() {
    // The CRI: "lists of at least one item"; the kubelet collects until the stream ends.
    var stream = new FakeServerStream<StreamContainersResponse>();
    stream.ready = false; // completing needs no window
    BatchedReplies.send(List.of(), BatchedRepliesTest::batch, stream);
    assertThat(stream.sent).isEmpty();
    assertThat(stream.completed).isTrue();
  }

  @Test
  void sendsOnlyAsTheClientReadsAndEachObjectOnce() {
    var stream = new FakeServerStream<StreamContainersResponse>();
    stream.window = 1;
    List<Container> items = containers(1000);
    BatchedReplies.send(items, BatchedRepliesTest::batch, stream);
    assertThat(stream.sent).as("one batch, then the transport is full").hasSize(1);
    stream.spuriousReady();
    assertThat(stream.sent).as("an onReady while still not ready sends nothing").hasSize(1);
    for (int read = 2; read <= 10; read++) {
      assertThat(stream.completed).isFalse();
      stream.read(1);
      assertThat(stream.sent).hasSize(read);
    }
    assertThat(stream.completed).as("the end of the stream needs no window").isTrue();
    assertThat(ids(stream.sent)).doesNotHaveDuplicates().hasSize(1000);
  }

  @Test
  void aCancelledStreamGetsNothingMoreAndIsNotCompleted() {
    var stream = new FakeServerStream<StreamContainersResponse>();
    stream.window = 3;
    BatchedReplies.send(containers(1000), BatchedRepliesTest::batch, stream);
    assertThat(stream.sent).hasSize(3);
    stream.cancel();
    stream.read(5);
    assertThat(stream.sent).hasSize(3);
    assertThat(stream.completed).isFalse();
    assertThat(stream.error).isNull();
  }

  @Test
  void aStreamCancelledBeforeTheFirstBatchGetsNothing() {
    var stream = new FakeServerStream<StreamContainersResponse>();
    stream.cancel();
    BatchedReplies.send(containers(10), BatchedRepliesTest::batch, stream);
    assertThat(stream.sent).isEmpty();
    assertThat(stream.completed).isFalse();
  }

  @Test
  void aBatchClosesBeforeItsBytesPassTheLimitAndAnOversizedObjectGoesAlone() {
    var stream = new FakeServerStream<StreamContainersResponse>();
    String kib = "x".repeat(1024);
    List<Container> items = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      items.add(Container.newBuilder().setId("c" + i).putAnnotations("big", i == 4 ? kib.repeat(8) : kib).build());
    }
    BatchedReplies.send(items, BatchedRepliesTest::batch, stream, 100, 3 * 1024);
    assertThat(stream.sent).allSatisfy(r -> assertThat(r.getContainersCount() == 1 || r.getSerializedSize() <= 3 * 1024)
        .isTrue());
    assertThat(stream.sent).extracting(StreamContainersResponse::getContainersCount).containsExactly(2, 2, 1, 2, 2, 1);
    assertThat(ids(stream.sent)).hasSize(10).doesNotHaveDuplicates();
  }

  /** A RuntimeService whose StreamContainers batches a fixed list, as the adapter does. */
  private static final class ListingService extends RuntimeServiceGrpc.RuntimeServiceImplBase {
    final List<Container> items;
    final AtomicInteger batches;

    ListingService(List<Container> items, AtomicInteger batches) {
      this.items = items;
      this.batches = batches;
    }

    @Override
    public void streamContainers(StreamContainersRequest request, StreamObserver<StreamContainersResponse> response) {
      String prefix = request.getFilter().getId();
      BatchedReplies.send(items.stream().filter(c -> c.getId().startsWith(prefix)).toList(),
          batch -> {
            batches.incrementAndGet();
            return batch(batch);
          }, response);
    }
  }

  private interface Call {
    void run(RuntimeServiceGrpc.RuntimeServiceBlockingStub blocking, RuntimeServiceGrpc.RuntimeServiceStub async)
        throws Exception;
  }

  private final AtomicInteger batches = new AtomicInteger();

  private void overGrpc(List<Container> items, Call call) throws Exception {
    String name = InProcessServerBuilder.generateName();
    var executor = Executors.newVirtualThreadPerTaskExecutor();
    var interceptor = new CriCallInterceptor(new CriMetrics());
    var service = ServerInterceptors.intercept(new ListingService(items, batches), interceptor);
    Server server = InProcessServerBuilder.forName(name).executor(executor).addService(service).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    try {
      call.run(RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS),
          RuntimeServiceGrpc.newStub(channel));
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
      executor.shutdownNow();
    }
  }

  @Test
  void overGrpcAClientReadsAThousandObjectsAndTheFilterHolds() throws Exception {
    List<Container> items = containers(1000);
    overGrpc(items, (blocking, async) -> {
      List<StreamContainersResponse> all = new ArrayList<>();
      blocking.streamContainers(StreamContainersRequest.getDefaultInstance()).forEachRemaining(all::add);
      assertThat(all).hasSize(10);
      assertThat(ids(all)).isEqualTo(items.stream().map(Container::getId).toList());

      List<StreamContainersResponse> some = new ArrayList<>();
      blocking.streamContainers(StreamContainersRequest.newBuilder()
          .setFilter(ContainerFilter.newBuilder().setId("c01")).build()).forEachRemaining(some::add);
      assertThat(ids(some)).hasSize(100).allSatisfy(id -> assertThat(id).startsWith("c01"));

      Iterator<StreamContainersResponse> none = blocking.streamContainers(StreamContainersRequest.newBuilder()
          .setFilter(ContainerFilter.newBuilder().setId("nothing")).build());
      assertThat(none.hasNext()).as("no message, just the end of the stream").isFalse();
    });
  }

  @Test
  void overGrpcAClientThatCancelsAfterOneBatchStopsTheStream() throws Exception {
    overGrpc(containers(100_000), (blocking, async) -> {
      List<StreamContainersResponse> received = new CopyOnWriteArrayList<>();
      CountDownLatch first = new CountDownLatch(1);
      CompletableFuture<Throwable> ended = new CompletableFuture<>();
      var holder = new CompletableFuture<ClientCallStreamObserver<StreamContainersRequest>>();
      async.streamContainers(StreamContainersRequest.getDefaultInstance(),
          new ClientResponseObserver<StreamContainersRequest, StreamContainersResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<StreamContainersRequest> call) {
              call.disableAutoRequestWithInitial(1); // read one message, then nothing
              holder.complete(call);
            }

            @Override
            public void onNext(StreamContainersResponse value) {
              received.add(value);
              first.countDown();
            }

            @Override
            public void onError(Throwable t) {
              ended.complete(t);
            }

            @Override
            public void onCompleted() {
              ended.complete(null);
            }
          });
      assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();
      holder.get().cancel("enough", null);
      Throwable end = ended.get(10, TimeUnit.SECONDS);
      assertThat(end).isInstanceOfSatisfying(StatusRuntimeException.class,
          e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
      assertThat(received).hasSize(1);
      // The transport takes what the client asked for, so the server built a batch or two, not 1,000.
      assertThat(batches.get()).isLessThanOrEqualTo(3);
      // The service is still there: a later stream of the same list runs to its end.
      List<StreamContainersResponse> all = new ArrayList<>();
      blocking.streamContainers(StreamContainersRequest.getDefaultInstance()).forEachRemaining(all::add);
      assertThat(ids(all)).hasSize(100_000).doesNotHaveDuplicates();
    });
  }
}
