package io.berth.cri.doctor;

import java.util.Arrays;
import java.util.Optional;

/**
 * seccomp filters, which the RuntimeDefault profile (and the kubelet's default since 1.27 with
 * SeccompDefault) applies to every container: the kernel has seccomp when /proc/self/status
 * has a Seccomp field, and filters (CONFIG_SECCOMP_FILTER) when it lists actions_avail.
 */
final class SeccompCheck implements Check {
  static final String ACTIONS = "/proc/sys/kernel/seccomp/actions_avail";
  private final Host host;

  SeccompCheck(Host host) {
    this.host = host;
  }

  @Override
  public String name() {
    return "seccomp";
  }

  @Override
  public Result run() {
    Optional<String> actions = host.read(ACTIONS).map(String::strip);
    if (actions.isPresent()) {
      if (!Arrays.asList(actions.get().split("\\s+")).contains("errno")) {
        return Result.fail(name(), "seccomp lacks the errno action (" + actions.get() + "): RuntimeDefault "
            + "cannot be applied", "use a kernel with CONFIG_SECCOMP_FILTER");
      }
      return Result.pass(name(), "seccomp filters available (actions: " + actions.get() + ")");
    }
    boolean field = host.read("/proc/self/status")
        .map(status -> status.lines().anyMatch(line -> line.startsWith("Seccomp:"))).orElse(false);
    if (field) {
      return Result.pass(name(), "seccomp available (Seccomp field in /proc/self/status; " + ACTIONS
          + " unreadable)");
    }
    return Result.fail(name(), "the kernel has no seccomp: the RuntimeDefault profile cannot be applied",
        "use a kernel built with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER");
  }
}
