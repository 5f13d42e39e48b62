package io.berth.cri.doctor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Security fixes a Debian (or Ubuntu) package carries under an older upstream number: Debian 12's
 * runc reports 1.1.5 but its 1.1.5+ds1-1+deb12u1 fixes CVE-2024-21626. Trusted only when dpkg's
 * file list of the package holds the binary and the package's changelog is of the very release
 * the binary reports; then every CVE the changelog names counts as fixed.
 */
final class DebianBackports {
  private static final Pattern TOP_ENTRY = Pattern.compile("^\\S+ \\(([^)]+)\\)");
  private static final Pattern CVE = Pattern.compile("CVE-\\d{4}-\\d+");

  /** The package version and the CVEs its changelog names. */
  record Fixes(String packageVersion, Set<String> cves) {}

  private DebianBackports() {}

  static Optional<Fixes> of(Host host, String binary, String program, DottedVersion reported) {
    if (!ownedByPackage(host, binary, program)) {
      return Optional.empty();
    }
    Optional<String> changelog = gunzip(host.path("/usr/share/doc/" + program + "/changelog.Debian.gz"));
    if (changelog.isEmpty()) {
      return Optional.empty();
    }
    Matcher top = TOP_ENTRY.matcher(changelog.get());
    if (!top.find()) {
      return Optional.empty();
    }
    String packageVersion = top.group(1);
    String upstream = packageVersion.replaceFirst("^\\d+:", "");
    if (upstream.lastIndexOf('-') > 0) {
      upstream = upstream.substring(0, upstream.lastIndexOf('-'));
    }
    Optional<DottedVersion> packaged = DottedVersion.parse(upstream);
    if (packaged.isEmpty() || !packaged.get().release().equals(reported.release())) {
      return Optional.empty();
    }
    Set<String> cves = new TreeSet<>();
    Matcher m = CVE.matcher(changelog.get());
    while (m.find()) {
      cves.add(m.group());
    }
    return Optional.of(new Fixes(packageVersion, cves));
  }

  /** Whether dpkg's list of {@code program} (or {@code program:<arch>}) names the binary or its target. */
  private static boolean ownedByPackage(Host host, String binary, String program) {
    Set<String> names = new TreeSet<>(Set.of(binary));
    try {
      Path real = host.path(binary).toRealPath();
      Path root = host.path("/").toRealPath();
      if (real.startsWith(root)) {
        names.add("/" + root.relativize(real));
      }
    } catch (IOException missing) {
      return false;
    }
    Path info = host.path("/var/lib/dpkg/info");
    try (Stream<Path> files = Files.list(info)) {
      for (Path list : files.filter(p -> {
        String n = p.getFileName().toString();
        return n.equals(program + ".list") || (n.startsWith(program + ":") && n.endsWith(".list"));
      }).toList()) {
        if (Files.readAllLines(list).stream().anyMatch(names::contains)) {
          return true;
        }
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
    return false;
  }

  private static Optional<String> gunzip(Path file) {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      return Optional.of(new String(in.readNBytes(4 * 1024 * 1024), StandardCharsets.UTF_8));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
