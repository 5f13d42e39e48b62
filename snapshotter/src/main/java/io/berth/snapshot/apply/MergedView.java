package io.berth.snapshot.apply;

import io.berth.snapshot.SnapshotException;
import io.berth.sys.Syscalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * The root filesystem as overlayfs will show it, computed from the layer directories (the layer
 * being applied on top): whiteouts hide, opaque directories stop merging, a non-directory ends
 * the lower layers. Paths are resolved inside the root, following symlinks of any layer with
 * {@code ..} clamped at the root, and never by the host's own path lookup through a symlink:
 * each layer is only ever asked about a name inside a directory already known to be a real
 * directory in that layer.
 */
final class MergedView {
  private static final int MAX_SYMLINKS = 40;
  private static final byte[] OPAQUE = "y".getBytes(StandardCharsets.US_ASCII);

  /** What a name is in the merged view. */
  enum Type {
    ABSENT,
    DIRECTORY,
    SYMLINK,
    OTHER
  }

  /**
   * A name in the merged view. For a directory, {@code layers} are its directories in each layer
   * that merges into it, top first; otherwise {@code layers} holds the one path that decides it.
   * {@code inTop} says the deciding entry is in the layer being applied.
   */
  record Node(Type type, List<Path> layers, boolean inTop) {
    static final Node ABSENT = new Node(Type.ABSENT, List.of(), false);

    Path path() {
      return layers.getFirst();
    }
  }

  private final Syscalls sys;
  private final Path top;
  private final Node root;

  MergedView(Syscalls sys, Path top, List<Path> lowers) {
    this.sys = sys;
    this.top = top;
    List<Path> all = new ArrayList<>();
    all.add(top);
    all.addAll(lowers);
    this.root = new Node(Type.DIRECTORY, List.copyOf(all), true);
  }

  /** Looks {@code name} up in directory {@code dir}, without following a final symlink. */
  Node lookup(Node dir, String name) throws IOException {
    List<Path> layers = dir.layers();
    for (int i = 0; i < layers.size(); i++) {
      Path candidate = layers.get(i).resolve(name);
      Map<String, Object> attrs = lstat(candidate);
      if (attrs == null) {
        continue;
      }
      boolean inTop = candidate.startsWith(top) && layers.get(i).startsWith(top);
      if (isWhiteout(attrs)) {
        return Node.ABSENT;
      }
      if (Boolean.TRUE.equals(attrs.get("isSymbolicLink"))) {
        return new Node(Type.SYMLINK, List.of(candidate), inTop);
      }
      if (!Boolean.TRUE.equals(attrs.get("isDirectory"))) {
        return new Node(Type.OTHER, List.of(candidate), inTop);
      }
      List<Path> merged = new ArrayList<>();
      merged.add(candidate);
      if (!isOpaque(candidate)) {
        for (int j = i + 1; j < layers.size(); j++) {
          Path below = layers.get(j).resolve(name);
          Map<String, Object> belowAttrs = lstat(below);
          if (belowAttrs == null) {
            continue;
          }
          if (isWhiteout(belowAttrs) || !Boolean.TRUE.equals(belowAttrs.get("isDirectory"))) {
            break;
          }
          merged.add(below);
          if (isOpaque(below)) {
            break;
          }
        }
      }
      return new Node(Type.DIRECTORY, merged, inTop);
    }
    return Node.ABSENT;
  }

  /**
   * Resolves directory path {@code components} (already free of {@code .}/{@code ..} as names)
   * to its canonical components, following symlinks inside the root. Components that do not
   * exist yet are kept (they will be created). A component that exists and is neither a
   * directory nor a symlink makes the path invalid.
   */
  List<String> resolveDirectory(List<String> components) throws IOException {
    Deque<String> todo = new ArrayDeque<>(components);
    List<String> out = new ArrayList<>();
    Deque<Node> nodes = new ArrayDeque<>();
    nodes.add(root);
    int hops = 0;
    while (!todo.isEmpty()) {
      String c = todo.pollFirst();
      if (c.isEmpty() || c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        if (!out.isEmpty()) {
          out.removeLast();
          nodes.removeLast();
        }
        continue;
      }
      Node current = nodes.peekLast();
      Node next = current.type() == Type.DIRECTORY ? lookup(current, c) : Node.ABSENT;
      switch (next.type()) {
        case ABSENT, DIRECTORY -> {
          out.add(c);
          nodes.add(next);
        }
        case SYMLINK -> {
          if (++hops > MAX_SYMLINKS) {
            throw new SnapshotException.InvalidLayer(
                "too many symbolic links resolving /" + String.join("/", components));
          }
          String target = Files.readSymbolicLink(next.path()).toString();
          List<String> targetParts = new ArrayList<>(Arrays.asList(target.split("/")));
          if (target.startsWith("/")) {
            out.clear();
            nodes.clear();
            nodes.add(root);
          }
          for (int k = targetParts.size() - 1; k >= 0; k--) {
            todo.addFirst(targetParts.get(k));
          }
        }
        case OTHER -> throw new SnapshotException.InvalidLayer(
            "/" + String.join("/", out) + (out.isEmpty() ? "" : "/") + c + " is not a directory, but the layer "
                + "puts entries below it");
      }
    }
    return out;
  }

  /** The node at canonical directory components (as returned by {@link #resolveDirectory}). */
  Node directory(List<String> canonical) throws IOException {
    Node node = root;
    for (String c : canonical) {
      node = node.type() == Type.DIRECTORY ? lookup(node, c) : Node.ABSENT;
    }
    return node;
  }

  Node root() {
    return root;
  }

  private boolean isOpaque(Path dir) throws IOException {
    return Arrays.equals(OPAQUE, sys.lgetxattr(dir.toString(), "trusted.overlay.opaque"));
  }

  static boolean isWhiteout(Map<String, Object> attrs) {
    return Boolean.TRUE.equals(attrs.get("isOther")) && Long.valueOf(0).equals(attrs.get("rdev"))
        && ((Integer) attrs.get("mode") & 0170000) == Syscalls.S_IFCHR;
  }

  /** lstat as a map of the "unix" attribute view, or null when absent. */
  static Map<String, Object> lstat(Path path) throws IOException {
    try {
      return Files.readAttributes(path, "unix:*", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    } catch (FileSystemException e) {
      if (e.getReason() != null && e.getReason().contains("Not a directory")) {
        return null;
      }
      throw e;
    }
  }
}
