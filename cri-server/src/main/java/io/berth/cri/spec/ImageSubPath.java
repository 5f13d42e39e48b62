package io.berth.cri.spec;

import io.berth.cri.error.InvalidArgumentException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Resolves an image volume's {@code image_sub_path} inside the image's read-only view as if the
 * view were the root: symlinks (absolute or relative) and {@code ..} they contain never leave it,
 * and the path the kubelet sent may not climb out of it itself. The view is an overlay of
 * committed layers that nobody writes, so the path resolved here stays what it names.
 */
public final class ImageSubPath {
  /** As Linux's MAXSYMLINKS: a longer chain is a loop. */
  static final int MAX_SYMLINKS = 40;

  private ImageSubPath() {}

  /** The host path of {@code subPath} under {@code root}; {@code root} itself for an empty sub path. */
  public static Path resolve(Path root, String subPath, String image) {
    if (subPath.isEmpty()) {
      return root;
    }
    if (subPath.startsWith("/")) {
      throw invalid(subPath, image, "is absolute; it must be relative to the image's root");
    }
    Deque<Part> pending = new ArrayDeque<>();
    components(subPath).forEach(name -> pending.add(new Part(name, true)));
    List<String> resolved = new ArrayList<>();
    int links = 0;
    while (!pending.isEmpty()) {
      Part part = pending.pop();
      String name = part.name();
      if (name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        if (resolved.isEmpty()) {
          if (part.requested()) {
            throw invalid(subPath, image, "escapes the image");
          }
          continue; // a link's "..": the image's root is its own parent, as "/" is
        }
        resolved.removeLast();
        continue;
      }
      Path candidate = join(root, resolved).resolve(name);
      if (Files.isSymbolicLink(candidate)) {
        if (++links > MAX_SYMLINKS) {
          throw invalid(subPath, image, "has too many levels of symbolic links");
        }
        String target = readLink(candidate, subPath, image);
        if (target.startsWith("/")) {
          resolved.clear(); // absolute: from the image's root, never the host's
        }
        List<String> linked = components(target);
        for (int i = linked.size() - 1; i >= 0; i--) {
          pending.push(new Part(linked.get(i), false));
        }
        continue;
      }
      if (!Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
        throw invalid(subPath, image, "does not exist in the image");
      }
      if (!pending.isEmpty() && !Files.isDirectory(candidate, LinkOption.NOFOLLOW_LINKS)) {
        throw invalid(subPath, image, "does not exist in the image (" + name + " is not a directory)");
      }
      resolved.add(name);
    }
    return join(root, resolved);
  }

  /** One name still to walk; {@code requested} when it comes from the kubelet's path, not a link. */
  private record Part(String name, boolean requested) {}

  private static List<String> components(String path) {
    List<String> names = new ArrayList<>();
    for (String name : path.split("/")) {
      if (!name.isEmpty()) {
        names.add(name);
      }
    }
    return names;
  }

  private static Path join(Path root, List<String> names) {
    Path path = root;
    for (String name : names) {
      path = path.resolve(name);
    }
    return path;
  }

  private static String readLink(Path link, String subPath, String image) {
    try {
      return Files.readSymbolicLink(link).toString();
    } catch (IOException e) {
      throw invalid(subPath, image, "cannot be resolved: " + e.getMessage());
    }
  }

  private static InvalidArgumentException invalid(String subPath, String image, String why) {
    return new InvalidArgumentException("image_sub_path '" + subPath + "' of image " + image + " " + why);
  }
}
