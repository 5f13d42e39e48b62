package io.berth.cri.stats;

import io.berth.proto.state.v1.ContainerRecord;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Samples every running container's CPU counter on a fixed period, for {@link CpuRates}. */
public final class CpuSampler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CpuSampler.class);
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("cpu-sampler").factory());

  public CpuSampler(ContainerStatsCollector collector, Supplier<Collection<ContainerRecord>> containers,
      Duration period) {
    timer.scheduleWithFixedDelay(() -> {
      // An exception would cancel every later run of a fixed-delay task: none may escape.
      try {
        Collection<ContainerRecord> all = containers.get();
        all.forEach(collector::sampleCpu);
        collector.rates().retain(all.stream().map(ContainerRecord::getId).collect(Collectors.toSet()));
      } catch (RuntimeException e) {
        log.warn("cpu sample failed: {}", e.toString());
      }
    }, 0, period.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
