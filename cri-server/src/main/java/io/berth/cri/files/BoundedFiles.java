package io.berth.cri.files;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads a host file that a request or a configuration names: a regular file only, and never
 * more than a limit. A FIFO would block the reader until someone writes to it, a device such as
 * {@code /dev/zero} never ends, and a huge file would fill the heap; each is refused before it is
 * opened. A symbolic link is followed (Localhost seccomp profiles and CDI specs are often links
 * into a directory some operator manages), but what it leads to must be a regular file, and the
 * file is then opened by its real path without following links.
 *
 * <p>The type is checked before the file is opened: the JDK cannot open with {@code O_NONBLOCK}
 * or ask an open channel what it is. A file swapped for a FIFO between the check and the open
 * would still block; that needs write access to the file's directory, which for the paths read
 * here (the kubelet's seccomp root, CDI spec directories) only root has. A swapped-in device is
 * still bounded by the limit, which the read enforces whatever the size said.
 */
public final class BoundedFiles {
  private static final int S_IFMT = 0170000;
  private static final int S_IFREG = 0100000;

  private BoundedFiles() {}

  /**
   * The bytes of {@code file}, at most {@code limit} of them. An IOException's message says what
   * is wrong without naming the file (the caller names it): "does not exist", "is a FIFO, not a
   * regular file", "is larger than 1 MiB".
   */
  public static byte[] read(Path file, int limit) throws IOException {
    Path real;
    int mode;
    long size;
    try {
      real = file.toRealPath();
      mode = (Integer) Files.getAttribute(real, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      size = Files.size(real);
    } catch (NoSuchFileException e) {
      throw new IOException("does not exist", e);
    } catch (AccessDeniedException e) {
      throw new IOException("permission denied", e);
    }
    if ((mode & S_IFMT) != S_IFREG) {
      throw new IOException((real.equals(file) ? "is " : "leads to " + real + ", ") + type(mode)
          + ", not a regular file");
    }
    if (size > limit) {
      throw new IOException("is larger than " + human(limit) + " (" + size + " bytes)");
    }
    try (SeekableByteChannel channel = Files.newByteChannel(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        InputStream in = Channels.newInputStream(channel)) {
      byte[] bytes = in.readNBytes(limit + 1);
      if (bytes.length > limit) {
        throw new IOException("is larger than " + human(limit));
      }
      return bytes;
    } catch (AccessDeniedException e) {
      throw new IOException("permission denied", e);
    }
  }

  private static String type(int mode) {
    return switch (mode & S_IFMT) {
      case 0010000 -> "a FIFO";
      case 0020000 -> "a character device";
      case 0040000 -> "a directory";
      case 0060000 -> "a block device";
      case 0140000 -> "a socket";
      default -> "a file of type " + Integer.toOctalString(mode & S_IFMT);
    };
  }

  /** {@code bytes} in KiB or MiB when it is a whole number of them. */
  static String human(long bytes) {
    if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
      return (bytes >> 20) + " MiB";
    }
    if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
      return (bytes >> 10) + " KiB";
    }
    return bytes + " bytes";
  }
}
