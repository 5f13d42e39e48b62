package io.berth.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The host's network state that pods may leave behind: veth interfaces, iptables rules and
 * chains (nat and filter), and the IPs a host-local IPAM store holds. {@link #restoreRules}
 * removes the rules and chains added since a snapshot, so that a test leaves the tables as it
 * found them (CNI's portmap keeps its top-level chains after the last pod).
 */
public final class HostNetworkState {
  private HostNetworkState() {}

  public static List<String> veths() {
    try (Stream<Path> links = Files.list(Path.of("/sys/class/net"))) {
      return links.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("veth")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rule and chain lines of {@code iptables-save} for the nat and filter tables. */
  public static Set<String> iptables() {
    Set<String> lines = new LinkedHashSet<>();
    for (String table : List.of("nat", "filter")) {
      for (String line : Commands.runOrFail("iptables-save", "-t", table).stdout().split("\n")) {
        if (line.startsWith("-A ") || line.startsWith(":")) {
          lines.add(table + " " + line.replaceAll(" \\[\\d+:\\d+\\]$", ""));
        }
      }
    }
    return lines;
  }

  /** Deletes every rule, then every chain, that is in the tables now but not in {@code before}. */
  public static void restoreRules(Set<String> before) {
    List<String> added = new ArrayList<>(iptables());
    added.removeAll(before);
    for (String line : added) {
      String[] parts = line.split(" ", 2);
      if (parts[1].startsWith("-A ")) {
        List<String> command = new ArrayList<>(List.of("iptables", "-t", parts[0], "-D"));
        command.addAll(shellWords(parts[1].substring(3)));
        Commands.run(command);
      }
    }
    for (String line : added) {
      String[] parts = line.split(" ", 2);
      if (parts[1].startsWith(":")) {
        String chain = parts[1].substring(1).split(" ")[0];
        Commands.run(List.of("iptables", "-t", parts[0], "-X", chain));
      }
    }
  }

  /** Splits an iptables-save rule into arguments, honouring double quotes (comments). */
  private static List<String> shellWords(String text) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean quoted = false;
    for (char c : text.toCharArray()) {
      if (c == '"') {
        quoted = !quoted;
      } else if (c == ' ' && !quoted) {
        if (!word.isEmpty()) {
          words.add(word.toString());
          word.setLength(0);
        }
      } else {
        word.append(c);
      }
    }
    if (!word.isEmpty()) {
      words.add(word.toString());
    }
    return words;
  }

  /** The IPs host-local holds for network {@code name} in {@code dataDir}. */
  public static List<String> allocatedIps(Path dataDir, String name) {
    Path dir = dataDir.resolve(name);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9.]+|[0-9a-f:]+")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
