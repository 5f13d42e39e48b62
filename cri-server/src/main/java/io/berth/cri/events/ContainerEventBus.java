package io.berth.cri.events;

import io.berth.proto.runtime.v1.ContainerEventResponse;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fans container events out to every GetContainerEvents stream. Publishing never blocks: each
 * subscriber has a bounded queue drained by its own virtual thread, which sends only when the
 * stream can take more; a subscriber that falls {@link #QUEUE} events behind loses events
 * (logged and counted) instead of slowing the runtime down.
 */
public final class ContainerEventBus {
  private static final Logger log = LoggerFactory.getLogger(ContainerEventBus.class);
  static final int QUEUE = 1024;

  private final CopyOnWriteArrayList<Subscriber> subscribers = new CopyOnWriteArrayList<>();
  private final AtomicLong dropped = new AtomicLong();

  /** Hands {@code event} to every subscriber's queue. */
  public void publish(ContainerEventResponse event) {
    for (Subscriber s : subscribers) {
      if (!s.queue.offer(event)) {
        long total = dropped.incrementAndGet();
        log.warn("container event dropped for a slow subscriber container={} type={} dropped_total={}",
            event.getContainerId(), event.getContainerEventType(), total);
      }
    }
  }

  /** Events dropped so far because a subscriber was too slow. */
  public long dropped() {
    return dropped.get();
  }

  public int subscribers() {
    return subscribers.size();
  }

  /** Streams every later event to {@code stream} until the client goes away. */
  public void subscribe(ServerCallStreamObserver<ContainerEventResponse> stream) {
    Subscriber subscriber = new Subscriber(stream);
    subscribers.add(subscriber);
    stream.setOnCancelHandler(() -> subscriber.stop());
    subscriber.thread = Thread.ofVirtual().name("container-events").start(subscriber::drain);
  }

  private final class Subscriber {
    final BlockingQueue<ContainerEventResponse> queue = new ArrayBlockingQueue<>(QUEUE);
    final ServerCallStreamObserver<ContainerEventResponse> stream;
    volatile boolean stopped;
    volatile Thread thread;

    Subscriber(ServerCallStreamObserver<ContainerEventResponse> stream) {
      this.stream = stream;
    }

    void stop() {
      stopped = true;
      subscribers.remove(this);
      Thread t = thread;
      if (t != null) {
        t.interrupt();
      }
    }

    void drain() {
      try {
        while (!stopped) {
          ContainerEventResponse event = queue.poll(1, TimeUnit.SECONDS);
          if (event == null) {
            continue;
          }
          while (!stream.isReady() && !stopped) {
            Thread.sleep(5); // the client reads slowly: let the queue, not the runtime, absorb it
          }
          if (!stopped) {
            stream.onNext(event);
          }
        }
      } catch (InterruptedException e) {
        // cancelled
      } catch (RuntimeException e) {
        log.debug("container event stream ended error={}", e.toString());
        stop();
      }
    }
  }
}
