package io.berth.cri.doctor;

import java.util.List;
import java.util.function.Predicate;

/**
 * Runtime releases with known container escapes, by upstream version. A distribution build
 * may carry the fix under an older number; {@link DebianBackports} finds those.
 */
final class KnownVulnerabilities {
  /** One advisory: the CVEs, what they allow, the first fixed releases, and which versions it hits. */
  record Advisory(String program, List<String> cves, String what, String fixedIn, Predicate<DottedVersion> affects) {}

  static final List<Advisory> ALL = List.of(
      new Advisory("runc", List.of("CVE-2024-21626"),
          "\"Leaky Vessels\": a leaked host directory descriptor lets a container escape to the host",
          "1.1.12", v -> v.isBelow("1.1.12")),
      new Advisory("runc", List.of("CVE-2025-31133", "CVE-2025-52565", "CVE-2025-52881"),
          "container escapes racing runc's /dev/null masking, /dev/console mount and /proc writes",
          "1.2.8, 1.3.3", v -> v.isBelow("1.2.8") || (v.isAtLeast("1.3.0-rc.1") && v.isBelow("1.3.3"))
              || (v.isAtLeast("1.4.0-rc.1") && v.isBelow("1.4.0-rc.3"))),
      new Advisory("crun", List.of("CVE-2022-27650"),
          "containers start with non-empty inheritable capabilities",
          "1.4.4", v -> v.isBelow("1.4.4")));

  private KnownVulnerabilities() {}

  /** The advisories that hit {@code program} at {@code version}. */
  static List<Advisory> affecting(String program, DottedVersion version) {
    return ALL.stream().filter(a -> a.program().equals(program) && a.affects().test(version)).toList();
  }
}
