package io.berth.cri.doctor;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code <binary> --version} says: the program ("runc", "crun", "conmon", or "tini" for
 * catatonit), its version text, and the commit line where there is one (Debian's runc puts its
 * package version there: "commit: 1.1.5+ds1-1+deb12u1").
 */
record VersionOutput(String program, String version, String commit, String firstLine) {
  private static final Pattern FIRST = Pattern.compile("^\\s*(\\S+) version:? (\\S+)", Pattern.MULTILINE);
  private static final Pattern COMMIT = Pattern.compile("^commit: (\\S+)", Pattern.MULTILINE);

  static Optional<VersionOutput> parse(String output) {
    Matcher first = FIRST.matcher(output);
    if (!first.find()) {
      return Optional.empty();
    }
    Matcher commit = COMMIT.matcher(output);
    String line = output.substring(first.start(), output.indexOf('\n', first.start()) < 0 ? output.length()
        : output.indexOf('\n', first.start())).strip();
    return Optional.of(new VersionOutput(first.group(1), first.group(2), commit.find() ? commit.group(1) : "", line));
  }

  Optional<DottedVersion> dotted() {
    return DottedVersion.parse(version);
  }
}
