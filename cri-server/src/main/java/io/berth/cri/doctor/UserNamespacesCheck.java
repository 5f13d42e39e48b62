package io.berth.cri.doctor;

import java.util.Optional;

/**
 * User namespaces: /proc/sys/user/max_user_namespaces above 0. Kubernetes' user-namespaced pods
 * ({@code hostUsers: false}) and rootless runtimes need them; a node without them still runs
 * every other pod, so this is a warning at worst.
 */
final class UserNamespacesCheck implements Check {
  static final String MAX = "/proc/sys/user/max_user_namespaces";
  private final Host host;

  UserNamespacesCheck(Host host) {
    this.host = host;
  }

  @Override
  public String name() {
    return "user-namespaces";
  }

  @Override
  public Result run() {
    Optional<String> text = host.read(MAX).map(String::strip);
    if (text.isEmpty()) {
      return Result.warn(name(), MAX + " is missing: the kernel has no user namespaces (CONFIG_USER_NS)",
          "use a kernel built with CONFIG_USER_NS=y");
    }
    long max;
    try {
      max = Long.parseLong(text.get());
    } catch (NumberFormatException e) {
      return Result.warn(name(), MAX + " reads '" + text.get() + "', not a number", "check the kernel's sysctls");
    }
    if (max <= 0) {
      return Result.warn(name(), "user.max_user_namespaces = " + max + ": pods with hostUsers: false cannot start",
          "sysctl -w user.max_user_namespaces=28633 (and keep it in /etc/sysctl.d/)");
    }
    return Result.pass(name(), "user.max_user_namespaces = " + max);
  }
}
