package io.berth.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** What berthd keeps under its root, listed for before/after comparisons ("nothing left behind"). */
public final class DiskState {
  private DiskState() {}

  /** Blobs, partial downloads, snapshot directories and image records, as relative paths. */
  public static List<String> of(Path root) {
    return Stream.of("content/blobs/sha256", "content/ingest", "snapshots", "images")
        .map(root::resolve)
        .filter(Files::isDirectory)
        .flatMap(dir -> {
          try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> root.relativize(p).toString()).toList().stream();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        })
        .sorted()
        .toList();
  }
}
