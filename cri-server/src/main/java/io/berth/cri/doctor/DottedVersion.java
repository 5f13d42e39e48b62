package io.berth.cri.doctor;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A release number as the runtimes print it ("1.1.5+ds1", "1.4.0-rc.2", "1.0.0~rc93",
 * "0.1.7_catatonit", a kernel's "6.18.44-fc-v1252"): the numbers compared one by one, then a
 * pre-release ("-rc.2", "~rc93") ranked below the release itself. Build and packaging suffixes
 * ("+ds1", "_catatonit") do not count. Only {@link #kernel} treats "-" as a local suffix.
 * Ordering only: two texts of one release compare as 0 but are different records.
 */
public record DottedVersion(List<Integer> numbers, String preRelease, String text)
    implements Comparable<DottedVersion> {
  private static final Pattern NUMBERS = Pattern.compile("^v?(\\d+(?:\\.\\d+)*)");
  private static final Pattern PRE_RELEASE_NUMBER = Pattern.compile("(\\d+)$");

  public DottedVersion {
    numbers = List.copyOf(numbers);
  }

  /** Parses a release number; empty when {@code text} does not start with one. */
  public static Optional<DottedVersion> parse(String text) {
    Matcher m = NUMBERS.matcher(text);
    if (!m.find()) {
      return Optional.empty();
    }
    List<Integer> numbers = new ArrayList<>();
    for (String part : m.group(1).split("\\.")) {
      try {
        numbers.add(Integer.parseInt(part));
      } catch (NumberFormatException tooLong) {
        return Optional.empty();
      }
    }
    String rest = text.substring(m.end());
    String preRelease = "";
    if (rest.startsWith("-") || rest.startsWith("~")) {
      preRelease = rest.substring(1).split("[+_]", 2)[0];
    }
    return Optional.of(new DottedVersion(numbers, preRelease, text));
  }

  /** A kernel release: what follows the numbers is the builder's own tag, never a pre-release. */
  public static Optional<DottedVersion> kernel(String release) {
    return parse(release.strip()).map(v -> new DottedVersion(v.numbers(), "", v.text()));
  }

  public static DottedVersion of(String text) {
    return parse(text).orElseThrow(() -> new IllegalArgumentException("not a version: " + text));
  }

  public int major() {
    return numbers.get(0);
  }

  public int minor() {
    return numbers.size() > 1 ? numbers.get(1) : 0;
  }

  public boolean isBelow(String other) {
    return compareTo(of(other)) < 0;
  }

  public boolean isAtLeast(String other) {
    return compareTo(of(other)) >= 0;
  }

  /** The numbers and pre-release, without packaging suffixes: "1.1.5", "1.4.0-rc.2". */
  public String release() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < numbers.size(); i++) {
      s.append(i == 0 ? "" : ".").append(numbers.get(i));
    }
    return preRelease.isEmpty() ? s.toString() : s + "-" + preRelease;
  }

  @Override
  public int compareTo(DottedVersion other) {
    int length = Math.max(numbers.size(), other.numbers.size());
    for (int i = 0; i < length; i++) {
      int a = i < numbers.size() ? numbers.get(i) : 0;
      int b = i < other.numbers.size() ? other.numbers.get(i) : 0;
      if (a != b) {
        return Integer.compare(a, b);
      }
    }
    if (preRelease.isEmpty() || other.preRelease.isEmpty()) {
      return Boolean.compare(preRelease.isEmpty(), other.preRelease.isEmpty());
    }
    return Long.compare(preReleaseNumber(preRelease), preReleaseNumber(other.preRelease));
  }

  private static long preReleaseNumber(String preRelease) {
    Matcher m = PRE_RELEASE_NUMBER.matcher(preRelease);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  @Override
  public String toString() {
    return text;
  }
}
