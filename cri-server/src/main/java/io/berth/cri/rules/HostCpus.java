package io.berth.cri.rules;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;

/** The node's online CPUs and memory nodes, which a cpuset must stay within. */
public record HostCpus(BitSet cpus, BitSet mems) {
  private static final int MAX_LIST = 4096;

  /** Read from sysfs; a node without NUMA directories has memory node 0 only. */
  public static HostCpus read() {
    return new HostCpus(readList(Path.of("/sys/devices/system/cpu/online"), "0-" + (availableCpus() - 1)),
        readList(Path.of("/sys/devices/system/node/online"), "0"));
  }

  /** From kernel lists such as {@code 0-3} (tests and hosts alike). */
  public static HostCpus of(String cpus, String mems) {
    return new HostCpus(parse(cpus), parse(mems));
  }

  private static int availableCpus() {
    return Runtime.getRuntime().availableProcessors();
  }

  private static BitSet readList(Path file, String fallback) {
    try {
      return parse(new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).strip());
    } catch (IOException | IllegalArgumentException e) {
      return parse(fallback);
    }
  }

  /** {@code set} as the kernel writes it: {@code 0-3,8,10-11}. */
  public static String format(BitSet set) {
    StringBuilder out = new StringBuilder();
    for (int from = set.nextSetBit(0); from >= 0; from = set.nextSetBit(set.nextClearBit(from))) {
      int to = set.nextClearBit(from) - 1;
      out.append(out.isEmpty() ? "" : ",").append(from).append(from == to ? "" : "-" + to);
    }
    return out.toString();
  }

  /** A kernel list such as {@code 0-3,8,10-11}; IllegalArgumentException when malformed. */
  public static BitSet parse(String list) {
    BitSet set = new BitSet();
    if (list.isEmpty()) {
      return set;
    }
    for (String range : list.split(",", -1)) {
      int dash = range.indexOf('-');
      int from = number(dash < 0 ? range : range.substring(0, dash));
      int to = dash < 0 ? from : number(range.substring(dash + 1));
      if (to < from) {
        throw new IllegalArgumentException("range " + FieldRules.printable(range) + " runs backwards");
      }
      set.set(from, to + 1);
    }
    return set;
  }

  private static int number(String digits) {
    if (digits.isEmpty() || digits.length() > 4 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException("'" + FieldRules.printable(digits) + "' is not a number below " + MAX_LIST);
    }
    int value = Integer.parseInt(digits);
    if (value >= MAX_LIST) {
      throw new IllegalArgumentException(value + " is not below " + MAX_LIST);
    }
    return value;
  }
}
