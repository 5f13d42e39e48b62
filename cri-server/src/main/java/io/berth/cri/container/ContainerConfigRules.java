package io.berth.cri.container;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.rules.FieldRules;
import io.berth.cri.rules.HostCpus;
import io.berth.cri.rules.ResourceRules;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.Device;
import io.berth.proto.runtime.v1.KeyValue;
import io.berth.proto.runtime.v1.LinuxContainerSecurityContext;
import io.berth.proto.runtime.v1.Mount;
import io.berth.proto.runtime.v1.MountPropagation;
import io.berth.proto.runtime.v1.Signal;
import java.util.Arrays;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What CreateContainer refuses before it reserves a name or mounts anything: each value that
 * runc, the kernel or the log writer would otherwise reject later (as INTERNAL, after work was
 * done and had to be undone) or, worse, accept and act on outside the places berth owns, such as
 * a log path with '..' in it.
 */
final class ContainerConfigRules {
  /** Longer than any name the kubelet makes (a DNS label) or a person types. */
  private static final int MAX_NAME = 253;
  private static final int MAX_ENV = 10_000;
  /** Half of execve's 2 MiB for arguments and environment (a quarter of the default 8 MiB stack). */
  private static final long MAX_ENV_BYTES = 1 << 20;
  /** Signal names without "SIG", as the CRI's enum spells them (SIGRTMIN+3 is SIGRTMINPLUS3 there). */
  private static final Set<String> KNOWN_SIGNALS = Arrays.stream(Signal.values())
      .filter(s -> s != Signal.UNRECOGNIZED && s != Signal.SIGNAL_RUNTIME_DEFAULT)
      .map(s -> s.name().substring("SIGNAL_SIG".length()).replace("PLUS", "+").replace("MINUS", "-"))
      .collect(Collectors.toUnmodifiableSet());
  private static final Pattern DEVICE_PERMISSIONS = Pattern.compile("r?w?m?");

  private ContainerConfigRules() {}

  static void validate(ContainerConfig config, HostCpus host) {
    String name = config.getMetadata().getName();
    if (name.isEmpty()) {
      throw new InvalidArgumentException("container config needs metadata.name");
    }
    FieldRules.text("metadata.name", name, MAX_NAME);
    if (config.getImage().getImage().isEmpty()) {
      throw new InvalidArgumentException("container config needs image.image");
    }
    FieldRules.text("image.image", config.getImage().getImage(), 4096);
    config.getCommandList().forEach(arg -> FieldRules.noNul("command", arg));
    config.getArgsList().forEach(arg -> FieldRules.noNul("args", arg));
    FieldRules.absolute("working_dir", config.getWorkingDir());
    if (config.getEnvsCount() > MAX_ENV) {
      throw new InvalidArgumentException("envs has " + config.getEnvsCount() + " entries; at most " + MAX_ENV
          + " (runc sets each with the C library's setenv, which scans all before it: 100,000 took over 10 s)");
    }
    long envBytes = 0;
    for (KeyValue env : config.getEnvsList()) {
      envBytes += env.getKey().length() + env.getValue().length() + 2;
      if (env.getKey().isEmpty() || env.getKey().indexOf('=') >= 0) {
        throw FieldRules.invalid("envs key", env.getKey(), "must be non-empty and without '='");
      }
      FieldRules.noNul("envs key", env.getKey());
      FieldRules.noNul("envs[" + FieldRules.printable(env.getKey()) + "]", env.getValue());
    }
    if (envBytes > MAX_ENV_BYTES) {
      throw new InvalidArgumentException("envs take " + envBytes + " bytes; at most " + MAX_ENV_BYTES
          + " fit in what execve passes to a new process alongside its arguments");
    }
    if (!config.getLogPath().isEmpty()) {
      FieldRules.relativeInside("log_path", config.getLogPath());
    }
    if (config.getStopSignal() == Signal.UNRECOGNIZED) {
      throw new InvalidArgumentException("stop_signal " + config.getStopSignalValue() + " is no signal the CRI knows");
    }
    for (Mount mount : config.getMountsList()) {
      mount(mount);
    }
    for (Device device : config.getDevicesList()) {
      FieldRules.absoluteNoParent("devices.container_path", device.getContainerPath());
      FieldRules.absolute("devices.host_path", device.getHostPath());
      if (!DEVICE_PERMISSIONS.matcher(device.getPermissions()).matches()) {
        throw FieldRules.invalid("devices.permissions", device.getPermissions(), "must be letters of 'rwm', in order");
      }
    }
    ResourceRules.validate("linux.resources", config.getLinux().getResources(), host);
    security(config.getLinux().getSecurityContext());
  }

  /**
   * An image's StopSignal as runc's kill takes it: a name the CRI's Signal enum knows (with or
   * without "SIG") or a number from 1 to 64; anything else is INVALID_ARGUMENT naming the image.
   */
  static String imageStopSignal(String signal, String imageId) {
    String name = signal.startsWith("SIG") ? signal.substring(3) : signal;
    boolean known = name.chars().allMatch(Character::isDigit) && !name.isEmpty() && name.length() <= 2
        ? Integer.parseInt(name) >= 1 && Integer.parseInt(name) <= 64
        : KNOWN_SIGNALS.contains(name);
    if (!known) {
      throw FieldRules.invalid("the StopSignal of image " + imageId, signal, "is no signal runc can send");
    }
    return signal;
  }

  private static void mount(Mount mount) {
    if (mount.getContainerPath().isEmpty()) {
      throw new InvalidArgumentException("mounts need container_path (host_path '"
          + FieldRules.printable(mount.getHostPath()) + "')");
    }
    FieldRules.absoluteNoParent("mounts.container_path", mount.getContainerPath());
    if (mount.getContainerPath().chars().allMatch(c -> c == '/')) {
      throw FieldRules.invalid("mounts.container_path", mount.getContainerPath(),
          "is the container's root, which its image provides");
    }
    if (!mount.hasImage()) {
      FieldRules.absolute("mounts.host_path", mount.getHostPath());
    }
    if (mount.getPropagation() == MountPropagation.UNRECOGNIZED) {
      throw new InvalidArgumentException("mounts.propagation " + mount.getPropagationValue() + " of "
          + FieldRules.printable(mount.getContainerPath()) + " is no propagation the CRI knows");
    }
  }

  private static void security(LinuxContainerSecurityContext security) {
    if (security.hasRunAsUser()) {
      FieldRules.id("security_context.run_as_user", security.getRunAsUser().getValue());
    }
    if (security.hasRunAsGroup()) {
      FieldRules.id("security_context.run_as_group", security.getRunAsGroup().getValue());
    }
    for (long gid : security.getSupplementalGroupsList()) {
      FieldRules.id("security_context.supplemental_groups", gid);
    }
    FieldRules.text("security_context.run_as_username", security.getRunAsUsername(), 256);
    security.getMaskedPathsList().forEach(path -> FieldRules.absolute("security_context.masked_paths", path));
    security.getReadonlyPathsList().forEach(path -> FieldRules.absolute("security_context.readonly_paths", path));
  }
}
