package io.berth.cri.rules;

import io.berth.cri.error.InvalidArgumentException;
import java.util.regex.Pattern;

/**
 * Checks of single request fields that several CRI messages share. Each refusal is an
 * INVALID_ARGUMENT naming the field and echoing the value cut short and with control characters
 * escaped, so a hostile value can neither flood the message nor forge log lines.
 */
public final class FieldRules {
  /** The largest id the kernel maps: (uid_t) -1 is "no id" to every id syscall. */
  public static final long MAX_ID = 0xFFFF_FFFEL;
  private static final int ECHO = 80;
  private static final int MAX_PATH = 4095;
  private static final int MAX_NAME = 255;
  private static final Pattern SYSCTL_PART = Pattern.compile("[a-z0-9]([-_a-z0-9]*[a-z0-9])?");

  private FieldRules() {}

  /** The value as it can go in a message: control characters escaped, long ones cut. */
  public static String printable(String value) {
    String cut = value.length() > ECHO ? value.substring(0, ECHO) + "...(" + value.length() + " chars)" : value;
    StringBuilder out = new StringBuilder();
    cut.codePoints().forEach(c -> out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", c)
        : Character.toString(c)));
    return out.toString();
  }

  /** A refusal naming {@code field}, its value and {@code why}. */
  public static InvalidArgumentException invalid(String field, String value, String why) {
    return new InvalidArgumentException(field + " '" + printable(value) + "' " + why);
  }

  /** No control characters (NUL, newline, escape...) and at most {@code max} characters. */
  public static void text(String field, String value, int max) {
    if (value.length() > max) {
      throw invalid(field, value, "is longer than " + max + " characters");
    }
    if (value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw invalid(field, value, "contains control characters");
    }
  }

  /** No NUL: the kernel and runc take strings up to the first NUL, so one would cut it silently. */
  public static void noNul(String field, String value) {
    if (value.indexOf('\0') >= 0) {
      throw invalid(field, value, "contains a NUL character");
    }
  }

  /** Empty, or an absolute path without NUL that the kernel can resolve. */
  public static void absolute(String field, String path) {
    noNul(field, path);
    if (!path.isEmpty() && !path.startsWith("/")) {
      throw invalid(field, path, "is not an absolute path");
    }
    fitsTheKernel(field, path);
  }

  /** ENAMETOOLONG otherwise, from wherever the path is first used (conmon opening a log, runc mounting). */
  private static void fitsTheKernel(String field, String path) {
    if (path.length() > MAX_PATH) {
      throw invalid(field, path, "is longer than the kernel's " + MAX_PATH + " characters");
    }
    for (String part : path.split("/")) {
      if (part.length() > MAX_NAME) {
        throw invalid(field, path, "has a part longer than the kernel's " + MAX_NAME + " characters");
      }
    }
  }

  /** Empty, or an absolute path without '..' parts, so that what is resolved in it stays in it. */
  public static void absoluteNoParent(String field, String path) {
    absolute(field, path);
    for (String part : path.split("/")) {
      if (part.equals("..")) {
        throw invalid(field, path, "has a '..' part");
      }
    }
  }

  /** A non-empty relative path in normal form that cannot leave the directory it is resolved in. */
  public static void relativeInside(String field, String path) {
    noNul(field, path);
    if (path.startsWith("/")) {
      throw invalid(field, path, "must be relative to its directory, not absolute");
    }
    for (String part : path.split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        throw invalid(field, path, "must be a clean relative path (no '.', '..' or empty parts)");
      }
    }
    fitsTheKernel(field, path);
  }

  /** A user or group id the kernel can map: 0 to 4294967294. */
  public static void id(String field, long value) {
    if (value < 0 || value > MAX_ID) {
      throw new InvalidArgumentException(field + " " + value + " is not a user or group id (0 to " + MAX_ID + ")");
    }
  }

  /**
   * A sysctl name as the kubelet validates it: parts of lower-case letters, digits, '-' and '_'
   * separated by '.' or '/', so the name cannot leave /proc/sys.
   */
  public static void sysctlName(String name) {
    if (name.length() > 253) {
      throw invalid("sysctl", name, "is longer than 253 characters");
    }
    for (String part : name.split("[./]", -1)) {
      if (!SYSCTL_PART.matcher(part).matches()) {
        throw invalid("sysctl", name, "is not a sysctl name (parts of a-z, 0-9, '-' and '_' separated by '.')");
      }
    }
  }
}
