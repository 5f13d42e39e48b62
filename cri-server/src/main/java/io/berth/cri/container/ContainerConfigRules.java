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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * What CreateContainer refuses before it reserves a name or mounts anything: each value that
 * runc, the kernel or the log writer would otherwise reject later (as INTERNAL, after work was
 * done and had to be undone) or, worse, accept and act on outside the places berth owns, such as
 * a log path with '..' in it.
 */
final class ContainerConfigRules {
  /** Longer than any name the kubelet makes (a DNS label) or a person types. */
  private static final int MAX_NAME = 253;
  /**
   * Far above what a namespace's service links add (about 7 per service), and still about 1 s of
   * setenv scans inside runc.
   */
  private static final int MAX_ENV = 32_768;
  /** execve's limit for arguments and environment together: a quarter of the default 8 MiB stack. */
  private static final long MAX_EXEC_BYTES = 2L << 20;
  private static final Pattern DEVICE_PERMISSIONS = Pattern.compile("[rwm]{0,3}");

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
    // What execve copies onto the new process's stack: each string and its NUL.
    long execBytes = 0;
    for (String arg : config.getCommandList()) {
      execBytes += utf8(arg) + 1;
    }
    for (String arg : config.getArgsList()) {
      execBytes += utf8(arg) + 1;
    }
    for (KeyValue env : config.getEnvsList()) {
      execBytes += utf8(env.getKey()) + utf8(env.getValue()) + 2;
      if (env.getKey().isEmpty() || env.getKey().indexOf('=') >= 0) {
        throw FieldRules.invalid("envs key", env.getKey(), "must be non-empty and without '='");
      }
      FieldRules.noNul("envs key", env.getKey());
      FieldRules.noNul("envs[" + FieldRules.printable(env.getKey()) + "]", env.getValue());
    }
    if (execBytes > MAX_EXEC_BYTES) {
      throw new InvalidArgumentException("command, args and envs take " + execBytes + " bytes; execve takes at most "
          + MAX_EXEC_BYTES + " (a quarter of the default 8 MiB stack) and would fail with E2BIG");
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
      FieldRules.absolute("devices.container_path", device.getContainerPath());
      FieldRules.absolute("devices.host_path", device.getHostPath());
      String permissions = device.getPermissions();
      // Any order: the kubelet itself sends "mrw" for block volumes, and runc takes each letter once.
      if (!DEVICE_PERMISSIONS.matcher(permissions).matches() || permissions.chars().distinct().count()
          != permissions.length()) {
        throw FieldRules.invalid("devices.permissions", permissions, "must be each of 'r', 'w' and 'm' at most once");
      }
    }
    ResourceRules.validate("linux.resources", config.getLinux().getResources(), host);
    security(config.getLinux().getSecurityContext());
  }

  private static void mount(Mount mount) {
    if (mount.getContainerPath().isEmpty()) {
      throw new InvalidArgumentException("mounts need container_path (host_path '"
          + FieldRules.printable(mount.getHostPath()) + "')");
    }
    // '..' is allowed, as the API server allows it in a mountPath: runc resolves it inside the rootfs.
    FieldRules.absolute("mounts.container_path", mount.getContainerPath());
    if (Path.of(mount.getContainerPath()).normalize().toString().equals("/")) {
      throw FieldRules.invalid("mounts.container_path", mount.getContainerPath(),
          "is the container's root, which its image provides");
    }
    if (mount.hasImage()) {
      FieldRules.text("mounts.image.image", mount.getImage().getImage(), 4096);
    } else {
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

  private static long utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8).length;
  }
}
