package io.berth.cri.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on {@code <state>/berthd.lock}, held for the daemon's lifetime so that two
 * berthd processes never share one state directory. The kernel drops it when the process dies,
 * so a crash never leaves a stale lock. The file holds the owner's PID, for the error message.
 */
public final class StateDirLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private StateDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock or fails with {@link AlreadyRunningException} naming the current owner. */
  public static StateDirLock acquire(Path stateDir) throws IOException {
    Path file = stateDir.resolve("berthd.lock");
    FileChannel channel =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held by this very JVM: just as taken
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      String owner = Files.readString(file).strip();
      channel.close();
      throw new AlreadyRunningException(
          "another berthd (pid " + (owner.isEmpty() ? "unknown" : owner) + ") holds " + file
              + "; refusing to share the state directory " + stateDir);
    }
    channel.truncate(0);
    channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
    channel.force(false);
    return new StateDirLock(channel, lock);
  }

  @Override
  public void close() throws IOException {
    lock.release();
    channel.close();
  }

  /** Another live berthd owns the state directory. */
  public static final class AlreadyRunningException extends IOException {
    public AlreadyRunningException(String message) {
      super(message);
    }
  }
}
