package io.berth.oci.spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The seccomp profiles a container can ask for: berth's own RuntimeDefault (deny by default,
 * an allow-list for x86_64 and aarch64 and their 32-bit modes, with argument filters where a
 * call is only safe for some arguments), Unconfined (none), or a Localhost profile file.
 */
public final class SeccompProfiles {
  private static final int EPERM = 1;
  private static final int ENOSYS = 38;
  /** CLONE_NEWNS | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWCGROUP. */
  private static final long CLONE_NAMESPACE_FLAGS = 0x7E020000L;
  private static final Seccomp RUNTIME_DEFAULT = buildRuntimeDefault();

  private SeccompProfiles() {}

  /** Which profile the container config asks for. */
  public enum Kind {
    RUNTIME_DEFAULT,
    UNCONFINED,
    LOCALHOST
  }

  /**
   * The spec's seccomp section (a {@link Seccomp} or a file's JSON), or null for none.
   * Privileged containers get none, as their capabilities would make a filter pointless.
   */
  public static Object of(Kind kind, String localhostProfile, boolean privileged) {
    if (privileged || kind == Kind.UNCONFINED) {
      return null;
    }
    if (kind == Kind.LOCALHOST) {
      Path file = Path.of(localhostProfile == null ? "" : localhostProfile);
      if (!file.isAbsolute()) {
        throw new SpecException("seccomp Localhost profile '" + localhostProfile + "' is not an absolute path");
      }
      try {
        JsonNode profile = new ObjectMapper().readTree(Files.readString(file));
        if (!profile.has("defaultAction")) {
          throw new SpecException("seccomp profile " + file + " has no defaultAction");
        }
        return profile;
      } catch (IOException e) {
        throw new SpecException("cannot read seccomp profile " + file + ": " + e.getMessage());
      } catch (RuntimeException e) {
        if (e instanceof SpecException spec) {
          throw spec;
        }
        throw new SpecException("seccomp profile " + file + " is not valid JSON: " + e.getMessage());
      }
    }
    return RUNTIME_DEFAULT;
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
