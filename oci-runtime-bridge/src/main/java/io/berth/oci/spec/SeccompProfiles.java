package io.berth.oci.spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The seccomp profiles a container can ask for: berth's own RuntimeDefault (deny by default,
 * an allow-list for x86_64 and aarch64 and their 32-bit modes, with argument filters where a
 * call is only safe for some arguments), Unconfined (none), or a Localhost profile (read by the
 * caller, which knows where the file may come from; checked here).
 */
public final class SeccompProfiles {
  private static final int EPERM = 1;
  private static final int ENOSYS = 38;
  /** CLONE_NEWNS | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWCGROUP. */
  private static final long CLONE_NAMESPACE_FLAGS = 0x7E020000L;
  private static final Seccomp RUNTIME_DEFAULT = buildRuntimeDefault();
  /** The actions runc knows (libseccomp's SCMP_ACT_*). */
  private static final List<String> ACTIONS = List.of("SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
      "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",
      "SCMP_ACT_NOTIFY");
  private static final List<String> OPERATORS = List.of("SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
      "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ");
  private static final ObjectMapper PROFILE_READER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private SeccompProfiles() {}

  /** Which profile the container config asks for. */
  public enum Kind {
    RUNTIME_DEFAULT,
    UNCONFINED,
    LOCALHOST
  }

  /**
   * The spec's seccomp section (a {@link Seccomp}, or a Localhost profile already read and
   * checked by {@link #parseLocalhost}), or null for none. Privileged containers get none, as
   * their capabilities would make a filter pointless.
   */
  public static Object of(Kind kind, JsonNode localhostProfile, boolean privileged) {
    if (privileged || kind == Kind.UNCONFINED) {
      return null;
    }
    if (kind == Kind.LOCALHOST) {
      if (localhostProfile == null) {
        throw new IllegalArgumentException("a Localhost seccomp profile must be read before the spec is built");
      }
      return localhostProfile;
    }
    return RUNTIME_DEFAULT;
  }

  /**
   * A Localhost profile's bytes as the spec's seccomp section, checked where runc would fail or
   * silently ignore a rule: an object with a known {@code defaultAction}; architectures, flags
   * and syscall names strings; each rule with names and a known action; each argument with an
   * index 0-5, unsigned values and a known operator. Other fields pass through (runc ignores
   * them). {@code source} (the file) starts every error's message.
   */
  public static JsonNode parseLocalhost(String source, byte[] json) {
    JsonNode profile;
    try {
      profile = PROFILE_READER.readTree(json);
    } catch (JacksonException e) {
      throw new SpecException("seccomp profile " + source + " is not valid JSON: " + e.getOriginalMessage());
    }
    if (profile == null || !profile.isObject()) {
      throw new SpecException("seccomp profile " + source + " is not a JSON object");
    }
    String where = "seccomp profile " + source + ": ";
    action(where + "defaultAction", profile.get("defaultAction"), true);
    unsigned(where + "defaultErrnoRet", profile.get("defaultErrnoRet"));
    strings(where + "architectures", profile.get("architectures"), "SCMP_ARCH_");
    strings(where + "flags", profile.get("flags"), "SECCOMP_FILTER_FLAG_");
    JsonNode syscalls = profile.get("syscalls");
    if (syscalls == null || syscalls.isNull()) {
      return profile;
    }
    if (!syscalls.isArray()) {
      throw new SpecException(where + "syscalls is not an array");
    }
    for (int i = 0; i < syscalls.size(); i++) {
      String rule = where + "syscalls[" + i + "]";
      JsonNode syscall = syscalls.get(i);
      if (!syscall.isObject()) {
        throw new SpecException(rule + " is not an object");
      }
      JsonNode names = syscall.get("names");
      if (names == null || !names.isArray() || names.isEmpty()) {
        throw new SpecException(rule + ".names is missing or empty (runc would ignore the rule)");
      }
      strings(rule + ".names", names, "");
      action(rule + ".action", syscall.get("action"), true);
      unsigned(rule + ".errnoRet", syscall.get("errnoRet"));
      JsonNode args = syscall.get("args");
      if (args != null && !args.isNull()) {
        if (!args.isArray()) {
          throw new SpecException(rule + ".args is not an array");
        }
        for (int a = 0; a < args.size(); a++) {
          argument(rule + ".args[" + a + "]", args.get(a));
        }
      }
    }
    return profile;
  }

  private static void action(String what, JsonNode action, boolean required) {
    if (action == null || action.isNull()) {
      if (required) {
        throw new SpecException(what + " is missing");
      }
      return;
    }
    if (!action.isString() || !ACTIONS.contains(action.asString())) {
      throw new SpecException(what + " " + action + " is not one of " + String.join(", ", ACTIONS));
    }
  }

  private static void unsigned(String what, JsonNode value) {
    if (value != null && !value.isNull() && !(value.isIntegralNumber() && value.bigIntegerValue().signum() >= 0)) {
      throw new SpecException(what + " " + value + " is not an unsigned integer");
    }
  }

  private static void strings(String what, JsonNode list, String prefix) {
    if (list == null || list.isNull()) {
      return;
    }
    if (!list.isArray()) {
      throw new SpecException(what + " is not an array");
    }
    for (JsonNode item : list) {
      if (!item.isString() || item.asString().isEmpty() || !item.asString().startsWith(prefix)) {
        throw new SpecException(what + " holds " + item + ", not a" + (prefix.isEmpty() ? " name" : "n " + prefix
            + "* name"));
      }
    }
  }

  private static void argument(String what, JsonNode arg) {
    if (!arg.isObject()) {
      throw new SpecException(what + " is not an object");
    }
    JsonNode index = arg.get("index");
    if (index == null || !index.isIntegralNumber() || index.asLong() < 0 || index.asLong() > 5) {
      throw new SpecException(what + ".index " + index + " is not 0 to 5");
    }
    if (arg.get("value") == null) {
      throw new SpecException(what + ".value is missing");
    }
    unsigned(what + ".value", arg.get("value"));
    unsigned(what + ".valueTwo", arg.get("valueTwo"));
    JsonNode op = arg.get("op");
    if (op == null || !op.isString() || !OPERATORS.contains(op.asString())) {
      throw new SpecException(what + ".op " + op + " is not one of " + String.join(", ", OPERATORS));
    }
  }

  public static Seccomp runtimeDefault() {
    return RUNTIME_DEFAULT;
  }

  private static Seccomp buildRuntimeDefault() {
    List<Seccomp.Rule> rules = new ArrayList<>();
    rules.add(new Seccomp.Rule(allowList(), "SCMP_ACT_ALLOW", null, null));
    // personality: only the harmless personas (Linux, and with 32-bit address or unknown query).
    for (long persona : new long[] {0x0L, 0x0008L, 0x20000L, 0x20008L, 0xffffffffL}) {
      rules.add(new Seccomp.Rule(List.of("personality"), "SCMP_ACT_ALLOW", null,
          List.of(new Seccomp.Arg(0, persona, null, "SCMP_CMP_EQ"))));
    }
    // clone: threads and processes yes, new namespaces no (flags are argument 0, 1 on s390x).
    rules.add(new Seccomp.Rule(List.of("clone"), "SCMP_ACT_ALLOW", null,
        List.of(new Seccomp.Arg(0, CLONE_NAMESPACE_FLAGS, 0L, "SCMP_CMP_MASKED_EQ"))));
    // clone3 passes its flags in memory, which seccomp cannot inspect: ENOSYS makes libc fall back to clone.
    rules.add(new Seccomp.Rule(List.of("clone3"), "SCMP_ACT_ERRNO", ENOSYS, null));
    return new Seccomp("SCMP_ACT_ERRNO", EPERM,
        architectures(System.getProperty("os.arch")),
        List.copyOf(rules));
  }

  /**
   * The host's own architecture family: its native ABI and the compat ones it can run. Listing
   * foreign ones would only make the runtime compile a larger filter (about 8 ms per container
   * with runc here) for calls that can never arrive.
   */
  static List<String> architectures(String osArch) {
    return switch (osArch) {
      case "aarch64", "arm64" -> List.of("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
      default -> List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
    };
  }

  private static List<String> allowList() {
    try (InputStream in = SeccompProfiles.class.getResourceAsStream("seccomp-default-allow.txt")) {
      if (in == null) {
        throw new IllegalStateException("seccomp-default-allow.txt is missing from the build");
      }
      List<String> names = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.startsWith("#")) {
          for (String name : line.trim().split("\\s+")) {
            if (!name.isEmpty()) {
              names.add(name);
            }
          }
        }
      }
      return List.copyOf(names);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
