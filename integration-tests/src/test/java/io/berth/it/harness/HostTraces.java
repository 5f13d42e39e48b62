package io.berth.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Everything a pod or container of one berthd leaves on the host: mounts under its directories
 * (the user-namespaced containers' views beside the state too), pinned namespaces, bundles,
 * records (CNI attachment records too), runtime state, exit files and conmon processes.
 * Empty when every pod is gone; used for "nothing left behind" assertions.
 */
public final class HostTraces {
  private HostTraces() {}

  public static List<String> of(BerthdProcess berthd) {
    Path state = berthd.stateDir();
    Path root = berthd.rootDir();
    List<String> traces = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        String mountPoint = line.split(" ")[4];
        if (mountPoint.startsWith(state + "/") || mountPoint.startsWith(root + "/")
            || mountPoint.startsWith(state + "-userns/")) {
          traces.add("mount " + mountPoint);
        }
      }
      for (Path dir : List.of(state.resolve("netns"), state.resolve("containers"), state.resolve("rootfs"),
          state.resolve("image-volumes"), state.resolve("idmap"), Path.of(state + "-userns"),
          state.resolve("sandboxes"), state.resolve("exits"), state.resolve("attach"), state.resolve("runtime/runc"),
          root.resolve("sandboxes"), root.resolve("containers"), root.resolve("cni-cache"))) {
        if (Files.isDirectory(dir)) {
          try (Stream<Path> entries = Files.list(dir)) {
            entries.forEach(p -> traces.add("file " + p));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path strayOom = root.getParent().resolve("oom");
    if (Files.exists(strayOom)) {
      traces.add("file " + strayOom + " (conmon ran in berthd's working directory)");
    }
    ProcessHandle.allProcesses()
        .filter(p -> p.info().command().orElse("").endsWith("conmon"))
        .filter(p -> String.join(" ", p.info().arguments().orElse(new String[0])).contains(state.toString()))
        .forEach(p -> traces.add("conmon pid " + p.pid()));
    return traces;
  }

  /** Children of {@code parent} that exited and were never reaped ("pid (comm)"). */
  public static List<String> zombieChildren(long parent) {
    List<String> zombies = new ArrayList<>();
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        String stat;
        try {
          stat = Files.readString(proc.resolve("stat"));
        } catch (IOException gone) {
          continue;
        }
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        if (after[0].equals("Z") && after[1].equals(Long.toString(parent))) {
          zombies.add(stat.substring(0, stat.lastIndexOf(')') + 1));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return zombies;
  }
}
