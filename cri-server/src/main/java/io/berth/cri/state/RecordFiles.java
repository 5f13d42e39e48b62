package io.berth.cri.state;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One protobuf record per file ({@code <dir>/<id>.pb}), replaced atomically: written to a
 * temporary file, then renamed over the old one, so a crash leaves either the old or the new
 * record, never a torn one. Thread-safe for distinct IDs; callers serialise writes per ID.
 */
public final class RecordFiles<T extends Message> {
  private static final Logger log = LoggerFactory.getLogger(RecordFiles.class);
  private static final String SUFFIX = ".pb";

  private final Path dir;
  private final Parser<T> parser;

  public RecordFiles(Path dir, Parser<T> parser) {
    this.dir = dir;
    this.parser = parser;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create record directory " + dir, e);
    }
  }

  public void write(String id, T record) {
    Path target = dir.resolve(id + SUFFIX);
    Path temp = dir.resolve("." + id + ".tmp");
    try {
      Files.write(temp, record.toByteArray());
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("record directory " + dir + " does not support atomic rename", e);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write record " + target + ": " + e.getMessage(), e);
    }
  }

  public void delete(String id) {
    try {
      Files.deleteIfExists(dir.resolve(id + SUFFIX));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete record " + id + ": " + e.getMessage(), e);
    }
  }

  /** Every record; temporary files of interrupted writes are removed, unreadable records skipped. */
  public List<T> loadAll() {
    List<T> records = new ArrayList<>();
    try (var files = Files.list(dir)) {
      for (Path file : files.toList()) {
        String name = file.getFileName().toString();
        if (name.endsWith(".tmp")) {
          Files.deleteIfExists(file);
        } else if (name.endsWith(SUFFIX)) {
          try {
            records.add(parser.parseFrom(Files.readAllBytes(file)));
          } catch (InvalidProtocolBufferException e) {
            log.error("skipping unreadable record file={} error={}", file, e.getMessage());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read records in " + dir + ": " + e.getMessage(), e);
    }
    return records;
  }
}
