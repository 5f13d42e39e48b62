package io.berth.snapshot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds test layers entry by entry, including entries no honest image builder would write. */
public final class Tars {
  public static final Instant MTIME = Instant.parse("2023-05-06T07:08:09Z");

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes, "UTF-8");

  public Tars() {
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
  }

  public Tars dir(String name) {
    return dir(name, 0755, 0, 0);
  }

  public Tars dir(String name, int mode, int uid, int gid) {
    return put(new TarArchiveEntry(name, TarConstants.LF_DIR, true), mode, uid, gid, null, Map.of());
  }

  public Tars file(String name, String content) {
    return file(name, content, 0644, 0, 0, Map.of());
  }

  public Tars file(String name, String content, int mode, int uid, int gid, Map<String, String> xattrs) {
    TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_NORMAL, true);
    byte[] data = content.getBytes(StandardCharsets.UTF_8);
    entry.setSize(data.length);
    return put(entry, mode, uid, gid, data, xattrs);
  }

  public Tars symlink(String name, String target) {
    TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
    entry.setLinkName(target);
    return put(entry, 0777, 0, 0, null, Map.of());
  }

  public Tars hardlink(String name, String target) {
    TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
    entry.setLinkName(target);
    return put(entry, 0644, 0, 0, null, Map.of());
  }

  public Tars device(String name, byte type, int major, int minor, int mode) {
    TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
    entry.setDevMajor(major);
    entry.setDevMinor(minor);
    return put(entry, mode, 0, 0, null, Map.of());
  }

  public Tars fifo(String name) {
    return put(new TarArchiveEntry(name, TarConstants.LF_FIFO, true), 0600, 0, 0, null, Map.of());
  }

  private Tars put(TarArchiveEntry entry, int mode, int uid, int gid, byte[] data, Map<String, String> xattrs) {
    try {
      entry.setMode(mode);
      entry.setUserId(uid);
      entry.setGroupId(gid);
      entry.setModTime(FileTime.from(MTIME));
      xattrs.forEach((k, v) -> entry.addPaxHeader("SCHILY.xattr." + k, v));
      tar.putArchiveEntry(entry);
      if (data != null) {
        tar.write(data);
      }
      tar.closeArchiveEntry();
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public byte[] build() {
    try {
      tar.finish();
      tar.close();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
