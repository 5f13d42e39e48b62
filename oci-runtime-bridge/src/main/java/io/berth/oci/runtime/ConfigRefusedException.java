package io.berth.oci.runtime;

import java.util.List;
import java.util.Locale;

/**
 * The runtime refused a container because of what its configuration asks for: the kernel said
 * EINVAL to a value the request carried (a mount option, a sysctl's value), a sysctl it names
 * does not exist, or the command it names is not in the image. The caller's to fix, so not an
 * INTERNAL error of berth's.
 */
public final class ConfigRefusedException extends OciRuntimeException {
  /** runc's and crun's words for these refusals; berthd itself writes no sysctl through the runtime. */
  private static final List<String> CALLERS_FAULT = List.of("invalid argument", "executable file not found",
      "not a directory", "/proc/sys/");

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
