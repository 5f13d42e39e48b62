package io.berth.cri.doctor;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The machine berthctl runs on, read under a root prefix ("/" for the real one). Commands run
 * with a deadline, their output through a temp file so that a chatty binary cannot block on a
 * full pipe. Inodes come from {@code stat -f}, as Java's FileStore has no inode counts.
 */
public final class LocalHost implements Host {
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);
  private static final int MAX_OUTPUT = 64 * 1024;

  private final Path root;
  private final List<String> searchPath;
  private final Clock clock;

  public LocalHost(Path root, List<String> searchPath, Clock clock) {
    this.root = root.toAbsolutePath();
    this.searchPath = List.copyOf(searchPath);
    this.clock = clock;
  }

  /** This machine, with the PATH of this process (plus the sbin dirs a non-login root shell may lack). */
  public static LocalHost local() {
    String path = System.getenv().getOrDefault("PATH", "");
    List<String> dirs = new ArrayList<>();
    for (String dir : (path + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
      if (dir.startsWith("/") && !dirs.contains(dir)) {
        dirs.add(dir);
      }
    }
    return new LocalHost(Path.of("/"), dirs, Clock.systemUTC());
  }

  @Override
  public Path path(String absolute) {
    if (!absolute.startsWith("/")) {
      throw new IllegalArgumentException("not an absolute path: " + absolute);
    }
    return root.resolve(absolute.substring(1));
  }

  @Override
  public Optional<String> which(String command) {
    for (String dir : searchPath) {
      String candidate = dir.endsWith("/") ? dir + command : dir + "/" + command;
      if (isExecutableFile(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  @Override
  public Optional<String> versionOutput(String binary) {
    return run(List.of(path(binary).toString(), "--version"));
  }

  @Override
  public Optional<FileInfo> stat(String absolute) {
    try {
      Map<String, Object> attributes = Files.readAttributes(path(absolute), "unix:mode,uid,gid");
      int mode = (Integer) attributes.get("mode");
      return Optional.of(new FileInfo(type(mode), (Integer) attributes.get("uid"), (Integer) attributes.get("gid"),
          mode & 07777));
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
  }

  private static FileInfo.Type type(int mode) {
    return switch (mode & 0170000) {
      case 0100000 -> FileInfo.Type.REGULAR;
      case 0040000 -> FileInfo.Type.DIRECTORY;
      case 0140000 -> FileInfo.Type.SOCKET;
      case 0120000 -> FileInfo.Type.SYMLINK;
      default -> FileInfo.Type.OTHER;
    };
  }

  @Override
  public Optional<Usage> usage(String absolute) {
    Path p = path(absolute);
    try {
      FileStore store = Files.getFileStore(p);
      long totalInodes = 0;
      long freeInodes = 0;
      Optional<String> stat = which("stat").flatMap(s -> run(List.of(path(s).toString(), "-f", "-c", "%c %d",
          p.toString())));
      if (stat.isPresent()) {
        String[] counts = stat.get().strip().split("\\s+");
        if (counts.length == 2 && counts[0].matches("\\d+") && counts[1].matches("\\d+")) {
          totalInodes = Long.parseLong(counts[0]);
          freeInodes = Long.parseLong(counts[1]);
        }
      }
      return Optional.of(new Usage(store.getTotalSpace(), store.getUsableSpace(), totalInodes, freeInodes));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  @Override
  public Instant now() {
    return clock.instant();
  }

  private static Optional<String> run(List<String> command) {
    File out = null;
    try {
      out = File.createTempFile("berth-doctor", ".out");
      Process process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(out)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .start();
      if (!process.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        return Optional.empty();
      }
      byte[] bytes = Files.readAllBytes(out.toPath());
      int length = Math.min(bytes.length, MAX_OUTPUT);
      return Optional.of(new String(bytes, 0, length, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } finally {
      if (out != null) {
        out.delete();
      }
    }
  }
}
