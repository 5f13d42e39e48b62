package io.berth.cri.cdi;

/**
 * A fully qualified CDI device name, {@code vendor/class=name} (e.g. {@code nvidia.com/gpu=0}),
 * checked as the CDI library's parser checks it: vendor and class start with a letter and hold
 * letters, digits, '_', '-' and '.'; the name starts with a letter or digit and may also hold ':';
 * all three end with a letter or digit.
 */
public record QualifiedName(String vendor, String deviceClass, String name) {

  /** Parses {@code device}; an IllegalArgumentException says what is wrong with it. */
  public static QualifiedName parse(String device) {
    int eq = device.indexOf('=');
    int slash = eq < 0 ? -1 : device.substring(0, eq).indexOf('/');
    if (device.isEmpty() || device.startsWith("/") || eq <= 0 || slash <= 0 || slash == eq - 1
        || eq == device.length() - 1) {
      throw new IllegalArgumentException("'" + device + "' is not a fully qualified CDI device name"
          + " (vendor/class=name)");
    }
    String vendor = device.substring(0, slash);
    String deviceClass = device.substring(slash + 1, eq);
    String name = device.substring(eq + 1);
    checkKindPart("vendor", vendor);
    checkKindPart("class", deviceClass);
    checkDeviceName(name);
    return new QualifiedName(vendor, deviceClass, name);
  }

  /** Checks a spec's {@code kind} ({@code vendor/class}); an IllegalArgumentException says why it is not one. */
  public static void checkKind(String kind) {
    int slash = kind == null ? -1 : kind.indexOf('/');
    if (slash <= 0 || slash == kind.length() - 1) {
      throw new IllegalArgumentException("kind '" + kind + "' is not vendor/class");
    }
    checkKindPart("vendor", kind.substring(0, slash));
    checkKindPart("class", kind.substring(slash + 1));
  }

  /** Checks a device's unqualified name. */
  public static void checkDeviceName(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("empty device name");
    }
    if (!alphanumeric(name.charAt(0)) || !alphanumeric(name.charAt(name.length() - 1))) {
      throw new IllegalArgumentException("device name '" + name + "' must start and end with a letter or digit");
    }
    for (char c : name.toCharArray()) {
      if (!alphanumeric(c) && c != '_' && c != '-' && c != '.' && c != ':') {
        throw new IllegalArgumentException("device name '" + name + "' holds '" + c + "'");
      }
    }
  }

  public String kind() {
    return vendor + "/" + deviceClass;
  }

  @Override
  public String toString() {
    return vendor + "/" + deviceClass + "=" + name;
  }

  private static void checkKindPart(String what, String part) {
    if (part.isEmpty()) {
      throw new IllegalArgumentException("empty " + what);
    }
    if (!letter(part.charAt(0))) {
      throw new IllegalArgumentException(what + " '" + part + "' must start with a letter");
    }
    if (!alphanumeric(part.charAt(part.length() - 1))) {
      throw new IllegalArgumentException(what + " '" + part + "' must end with a letter or digit");
    }
    for (char c : part.toCharArray()) {
      if (!alphanumeric(c) && c != '_' && c != '-' && c != '.') {
        throw new IllegalArgumentException(what + " '" + part + "' holds '" + c + "'");
      }
    }
  }

  private static boolean letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean alphanumeric(char c) {
    return letter(c) || (c >= '0' && c <= '9');
  }
}
