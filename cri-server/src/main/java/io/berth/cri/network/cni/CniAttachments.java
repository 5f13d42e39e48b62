package io.berth.cri.network.cni;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The attachment records of one CNI cache directory, {@code <sandbox id>.json} each. A record is
 * written through a temporary file, fsync, atomic rename and a sync of the directory, so that once
 * {@link #write} returns it survives a crash or a power loss (a plugin may have reserved an address
 * the moment after). Callers write one sandbox's record from one thread at a time.
 */
final class CniAttachments {
  private static final String SUFFIX = ".json";
  private static final String TEMP_SUFFIX = ".tmp";

  private final Path dir;

  CniAttachments(Path dir) {
    this.dir = dir;
  }

  /** Records {@code attachment} for sandbox {@code id}, replacing its previous record, durably. */
  void write(String id, CniAttachment attachment) {
    try {
      Files.createDirectories(dir);
      Path temp = dir.resolve("." + id + TEMP_SUFFIX);
      ByteBuffer bytes = ByteBuffer.wrap(CniConfigList.JSON.writeValueAsBytes(attachment.toJson()));
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
        channel.force(true);
      }
      Files.move(temp, file(id), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
        directory.force(true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the network record of pod sandbox " + id + ": " + e.getMessage(),
          e);
    }
  }

  /**
   * Sandbox {@code id}'s record; empty when it has none.
   *
   * @throws IOException when it cannot be read
   * @throws IllegalArgumentException (or a Jackson exception) when it is no valid record
   */
  Optional<CniAttachment> read(String id) throws IOException {
    Path file = file(id);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    return Optional.of(CniAttachment.parse(file, Files.readString(file)));
  }

  /**
   * Forgets sandbox {@code id}'s record. Not synced: a record a power loss brings back costs one more
   * DEL at the next start, which plugins answer as for a detached pod (host-local releases by container ID).
   */
  void delete(String id) {
    try {
      Files.deleteIfExists(file(id));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the network record of pod sandbox " + id, e);
    }
  }

  /** The sandbox IDs that have a record. */
  Set<String> ids() {
    if (!Files.isDirectory(dir)) {
      return Set.of();
    }
    Set<String> ids = new TreeSet<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(SUFFIX) && !n.startsWith("."))
          .forEach(n -> ids.add(n.substring(0, n.length() - SUFFIX.length())));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the network records in " + dir, e);
    }
    return Collections.unmodifiableSet(ids);
  }

  /**
   * Deletes the temporary files of writes a crash cut short: no plugin ran on what they hold (the first
   * write precedes ADD; the one with the result leaves the first in place). At start only, before any write.
   */
  void removeTemporaries() {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.toList()) {
        String name = p.getFileName().toString();
        if (name.startsWith(".") && name.endsWith(TEMP_SUFFIX)) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean the network records in " + dir, e);
    }
  }

  private Path file(String id) {
    return dir.resolve(id + SUFFIX);
  }
}
