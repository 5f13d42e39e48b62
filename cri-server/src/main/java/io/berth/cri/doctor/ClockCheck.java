package io.berth.cri.doctor;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * Clock sanity: a clock before 2024 (a board without an RTC, booted at the epoch) fails every
 * registry's TLS certificate and stamps records wrongly; /proc/uptime is read to show the boot.
 * Time synchronisation (chrony, ntpd, systemd-timesyncd) is advised, not checked.
 */
final class ClockCheck implements Check {
  private static final int EARLIEST_YEAR = 2024;
  private final Host host;

  ClockCheck(Host host) {
    this.host = host;
  }

  @Override
  public String name() {
    return "clock";
  }

  @Override
  public Result run() {
    Instant now = host.now().truncatedTo(ChronoUnit.SECONDS);
    if (now.atZone(ZoneOffset.UTC).getYear() < EARLIEST_YEAR) {
      return Result.fail(name(), "the clock reads " + now + ": registries' TLS certificates do not verify yet",
          "set the clock and keep it synchronised (chrony, ntpd or systemd-timesyncd)");
    }
    Optional<Duration> uptime = host.read("/proc/uptime").flatMap(ClockCheck::uptime);
    if (uptime.isEmpty()) {
      return Result.warn(name(), now + ", but /proc/uptime cannot be read", "mount proc at /proc");
    }
    return Result.pass(name(), now + ", up " + describe(uptime.get()));
  }

  private static Optional<Duration> uptime(String text) {
    String[] fields = text.strip().split("\\s+");
    try {
      return Optional.of(Duration.ofMillis((long) (Double.parseDouble(fields[0]) * 1000)));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static String describe(Duration d) {
    if (d.toDays() > 0) {
      return d.toDays() + " d " + d.toHoursPart() + " h";
    }
    if (d.toHours() > 0) {
      return d.toHours() + " h " + d.toMinutesPart() + " min";
    }
    return d.toMinutes() + " min " + d.toSecondsPart() + " s";
  }
}
