package io.berth.cri.server;

import com.google.protobuf.MessageLite;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a list over a server stream (the Stream* twins of the List* RPCs, KEP-5825) in batches,
 * each object exactly once and in order, only as fast as the client reads, and not at all once
 * it cancels. An empty list sends no message: the CRI asks for lists "of at least one item" and
 * the kubelet collects items until the stream ends.
 *
 * <p>Sending never blocks the calling thread: grpc-java runs a call's callbacks (onReady,
 * onCancel) one at a time on its executor, so a handler that waited for readiness inside the call
 * would wait for a callback queued behind itself. Instead the first batches go out while the
 * transport takes them and the rest from the onReady callback; at most one batch is buffered
 * beyond the transport's window.
 */
public final class BatchedReplies<T extends MessageLite, R> {
  private static final Logger log = LoggerFactory.getLogger(BatchedReplies.class);

  /**
   * Objects per message: a Container or PodSandbox is 1-2 KiB, so 100 make a 100-200 KiB message,
   * small next to the kubelet's 16 MiB limit while few enough per-message costs for 10,000 objects.
   */
  public static final int MAX_ITEMS = 100;
  /**
   * Bytes per message: objects with large annotations (up to 256 KiB each in Kubernetes) would put
   * 100 of them over the kubelet's 16 MiB; a batch closes before it passes 4 MiB (an object larger
   * than that still goes, alone).
   */
  public static final int MAX_BYTES = 4 * 1024 * 1024;
  /** Field tag and length prefix of one repeated element, at most. */
  private static final int ELEMENT_OVERHEAD = 6;

  private final List<T> items;
  private final Function<List<T>, R> batch;
  private final ServerCallStreamObserver<R> stream;
  private final int maxItems;
  private final int maxBytes;
  private int next;
  private boolean done;

  BatchedReplies(List<T> items, Function<List<T>, R> batch, ServerCallStreamObserver<R> stream,
      int maxItems, int maxBytes) {
    this.items = List.copyOf(items);
    this.batch = batch;
    this.stream = stream;
    this.maxItems = maxItems;
    this.maxBytes = maxBytes;
  }

  /** Streams {@code items} to {@code response}, {@code batch} making one message of each slice. */
  public static <T extends MessageLite, R> void send(List<T> items, Function<List<T>, R> batch,
      StreamObserver<R> response) {
    send(items, batch, response, MAX_ITEMS, MAX_BYTES);
  }

  static <T extends MessageLite, R> void send(List<T> items, Function<List<T>, R> batch,
      StreamObserver<R> response, int maxItems, int maxBytes) {
    var stream = (ServerCallStreamObserver<R>) response;
    var sender = new BatchedReplies<>(items, batch, stream, maxItems, maxBytes);
    // With a cancel handler set, onNext after a cancel is a no-op instead of an exception.
    stream.setOnCancelHandler(sender::cancel);
    stream.setOnReadyHandler(sender::drain);
    sender.drain();
  }

  /** Sends batches while the transport takes them; completes after the last. */
  synchronized void drain() {
    while (!done) {
      if (stream.isCancelled()) {
        cancel();
        return;
      }
      if (next == items.size()) {
        done = true;
        stream.onCompleted();
        return;
      }
      if (!stream.isReady()) {
        return; // onReady calls again once the client has read
      }
      int end = batchEnd(next);
      stream.onNext(batch.apply(items.subList(next, end)));
      next = end;
    }
  }

  synchronized void cancel() {
    if (!done) {
      done = true;
      log.info("list stream cancelled by the client after {} of {} objects", next, items.size());
    }
  }

  /** The end (exclusive) of the batch starting at {@code from}: at least one object. */
  private int batchEnd(int from) {
    int end = from;
    long bytes = 0;
    while (end < items.size() && end - from < maxItems) {
      long size = items.get(end).getSerializedSize() + ELEMENT_OVERHEAD;
      if (end > from && bytes + size > maxBytes) {
        break;
      }
      bytes += size;
      end++;
    }
    return end;
  }
}
