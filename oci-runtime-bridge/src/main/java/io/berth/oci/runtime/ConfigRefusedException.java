package io.berth.oci.runtime;

import java.util.List;
import java.util.Locale;

/**
 * The runtime refused a container because of what its configuration asks for: a sysctl it names
 * does not exist or refused its value, the command or working directory it names is not in the
 * image. The caller's to fix, so not an INTERNAL error of berth's. A bare EINVAL is not enough:
 * berth's own mounts and namespaces can get one too.
 */
public final class ConfigRefusedException extends OciRuntimeException {
  /** runc's and crun's words for these refusals; berthd itself writes no sysctl through the runtime. */
  private static final List<String> CALLERS_FAULT = List.of("/proc/sys/", "executable file not found",
      "chdir to cwd");

  public ConfigRefusedException(String message) {
    super(message);
  }

  /** {@code message}, the runtime's reason a create failed, as this type when it is the caller's fault. */
  public static OciRuntimeException ofCreate(String message) {
    String lower = message.toLowerCase(Locale.ROOT);
    return CALLERS_FAULT.stream().anyMatch(lower::contains) ? new ConfigRefusedException(message)
        : new OciRuntimeException(message);
  }
}
