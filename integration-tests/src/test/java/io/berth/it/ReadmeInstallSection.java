package io.berth.it;

import io.berth.it.harness.BerthHome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** README.md's "Install on a node" section, read by the tests that keep it true. */
record ReadmeInstallSection(String text) {
  private static final String HEADING = "## Install on a node\n";
  private static final Pattern MAKE_TARGET = Pattern.compile("\\bmake ([a-z][a-z-]*)");
  private static final Pattern SOCKET = Pattern.compile("unix://(/\\S+)");

  static ReadmeInstallSection read() {
    try {
      String readme = Files.readString(BerthHome.path().resolve("README.md"));
      int start = readme.indexOf(HEADING);
      if (start < 0) {
        throw new IllegalStateException("README.md has no section '" + HEADING.strip() + "'");
      }
      int end = readme.indexOf("\n## ", start + HEADING.length());
      return new ReadmeInstallSection(readme.substring(start, end < 0 ? readme.length() : end));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every {@code make TARGET} the section names. */
  Set<String> makeTargets() {
    Set<String> targets = new LinkedHashSet<>();
    Matcher matcher = MAKE_TARGET.matcher(text);
    while (matcher.find()) {
      targets.add(matcher.group(1));
    }
    return targets;
  }

  /** The paths of the {@code text} block listing what the package installs (first column). */
  List<String> installedPaths() {
    List<String> paths = new ArrayList<>();
    for (String line : block("text").split("\n")) {
      if (!line.isBlank()) {
        paths.add(line.strip().split("\\s+")[0]);
      }
    }
    return paths;
  }

  /** The TOML snippet (the systemd cgroup driver). */
  String toml() {
    return block("toml");
  }

  /** The socket the kubelet is pointed at. */
  String socket() {
    Matcher matcher = SOCKET.matcher(text);
    if (!matcher.find()) {
      throw new IllegalStateException("no unix:// socket in the install section");
    }
    return matcher.group(1);
  }

  private String block(String language) {
    String fence = "```" + language + "\n";
    int start = text.indexOf(fence);
    if (start < 0) {
      throw new IllegalStateException("no ```" + language + " block in the install section");
    }
    int end = text.indexOf("```", start + fence.length());
    return text.substring(start + fence.length(), end);
  }

  /** Whether the Makefile defines {@code target} (a rule line {@code target:}). */
  static boolean makefileHasTarget(String target) {
    try {
      return Files.readAllLines(BerthHome.path().resolve("Makefile")).stream()
          .anyMatch(line -> line.startsWith(target + ":"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Where {@code make install} (PREFIX=/usr/local) puts a file the package has at {@code path}. */
  static String underUsrLocal(String path) {
    if (path.startsWith("/lib/systemd/system/")) {
      return "/usr/local" + path;
    }
    return path.startsWith("/usr/") ? "/usr/local/" + path.substring("/usr/".length()) : path;
  }

  static Path resolveUnder(Path dest, String path) {
    return dest.resolve(path.substring(1));
  }
}
