package io.berth.cri.doctor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Just enough ELF to tell a static binary from a dynamic one: a program header of type
 * PT_INTERP names the loader a dynamic binary needs; a static (or static-pie) one has none.
 */
final class ElfFile {
  private static final int PT_INTERP = 3;

  /** What the file is. */
  enum Linking {
    STATIC,
    DYNAMIC,
    NOT_ELF
  }

  /** The linking, and the interpreter of a dynamic binary. */
  record Kind(Linking linking, String interpreter) {}

  private ElfFile() {}

  static Kind read(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer header = ByteBuffer.allocate(64);
      channel.read(header, 0);
      header.flip();
      if (header.limit() < 52 || header.getInt(0) != 0x7f454c46) {
        return new Kind(Linking.NOT_ELF, null);
      }
      boolean is64 = header.get(4) == 2;
      header.order(header.get(5) == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
      long phoff = is64 ? header.getLong(0x20) : Integer.toUnsignedLong(header.getInt(0x1c));
      int phentsize = Short.toUnsignedInt(header.getShort(is64 ? 0x36 : 0x2a));
      int phnum = Short.toUnsignedInt(header.getShort(is64 ? 0x38 : 0x2c));
      for (int i = 0; i < phnum; i++) {
        ByteBuffer entry = ByteBuffer.allocate(phentsize).order(header.order());
        channel.read(entry, phoff + (long) i * phentsize);
        if (entry.getInt(0) == PT_INTERP) {
          long offset = is64 ? entry.getLong(8) : Integer.toUnsignedLong(entry.getInt(4));
          long size = is64 ? entry.getLong(32) : Integer.toUnsignedLong(entry.getInt(16));
          ByteBuffer name = ByteBuffer.allocate((int) Math.min(size, 4096));
          channel.read(name, offset);
          String interpreter = new String(name.array(), 0, name.position(), StandardCharsets.UTF_8);
          return new Kind(Linking.DYNAMIC, interpreter.replace("\0", ""));
        }
      }
      return new Kind(Linking.STATIC, null);
    }
  }

  static Optional<Kind> tryRead(Path file) {
    try {
      return Optional.of(read(file));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
