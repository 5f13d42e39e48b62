package io.berth.snapshot;

import java.nio.file.Path;
import java.util.List;

/**
 * The directories of an active snapshot: its own writable layer ({@code upper}) and its
 * parents' layers, topmost first, as overlayfs stacks them.
 */
public record LayerDirs(Path upper, List<Path> lowers) {
  public LayerDirs {
    lowers = List.copyOf(lowers);
  }
}
