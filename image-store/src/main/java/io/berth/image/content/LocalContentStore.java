package io.berth.image.content;

import io.berth.image.ImageException;
import io.berth.image.ref.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link ContentStore} on the local disk: {@code <root>/blobs/sha256/<hex>}, written through
 * {@code <root>/ingest/<hex>.partial} with fsync and an atomic rename. Partial files left by a
 * crash are removed when the store opens.
 */
public final class LocalContentStore implements ContentStore {
  private static final int BUFFER = 1 << 20;

  private final Path blobs;
  private final Path ingestDir;
  private final AtomicLong usedBytes = new AtomicLong();
  private final AtomicLong blobCount = new AtomicLong();

  public LocalContentStore(Path root) {
    this.blobs = root.resolve("blobs/sha256");
    this.ingestDir = root.resolve("ingest");
    try {
      Files.createDirectories(blobs);
      Files.createDirectories(ingestDir);
      try (DirectoryStream<Path> partial = Files.newDirectoryStream(ingestDir)) {
        for (Path p : partial) {
          Files.deleteIfExists(p);
        }
      }
      try (DirectoryStream<Path> stored = Files.newDirectoryStream(blobs)) {
        for (Path p : stored) {
          usedBytes.addAndGet(Files.size(p));
          blobCount.incrementAndGet();
        }
      }
    } catch (IOException e) {
      throw new ImageException.StorageFailure("cannot open content store " + root + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean contains(Digest digest) {
    return Files.exists(path(digest));
  }

  @Override
  public Path path(Digest digest) {
    return blobs.resolve(digest.hex());
  }

  @Override
  public InputStream open(Digest digest) {
    try {
      return Files.newInputStream(path(digest));
    } catch (NoSuchFileException e) {
      throw new ImageException.NotFound("blob " + digest + " is not in the content store");
    } catch (IOException e) {
      throw new ImageException.StorageFailure("cannot read blob " + digest + ": " + e.getMessage(), e);
    }
  }

  @Override
  public byte[] read(Digest digest) {
    try (InputStream in = open(digest)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new ImageException.StorageFailure("cannot read blob " + digest + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Ingest ingest(Digest digest, long size) {
    return new FileIngest(digest, size);
  }

  @Override
  public void put(Digest digest, byte[] content) {
    try (Ingest ingest = ingest(digest, content.length)) {
      ingest.write(new ByteArrayInputStream(content));
      ingest.commit();
    } catch (IOException e) {
      throw new ImageException.StorageFailure("cannot store blob " + digest + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void delete(Digest digest) {
    try {
      Path path = path(digest);
      long size = Files.size(path);
      if (Files.deleteIfExists(path)) {
        usedBytes.addAndGet(-size);
        blobCount.decrementAndGet();
      }
    } catch (NoSuchFileException e) {
      // already gone
    } catch (IOException e) {
      throw new ImageException.StorageFailure("cannot delete blob " + digest + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Set<Digest> list() {
    Set<Digest> all = new HashSet<>();
    try (DirectoryStream<Path> stored = Files.newDirectoryStream(blobs)) {
      for (Path p : stored) {
        all.add(new Digest("sha256", p.getFileName().toString()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return all;
  }

  @Override
  public long usedBytes() {
    return usedBytes.get();
  }

  @Override
  public long blobCount() {
    return blobCount.get();
  }

  /** Writes one blob through a partial file, hashing as it goes. */
  private final class FileIngest implements Ingest {
    private final Digest digest;
    private final long size;
    private final Path partial;
    private final FileChannel channel;
    private MessageDigest sha256 = Digest.sha256();
    private long written;
    private boolean committed;
    /** Guards {@link #readable}, {@link #finished} and {@link #abandoned} for a follower. */
    private final Object progress = new Object();
    private long readable;
    private boolean finished;
    private boolean abandoned;

    FileIngest(Digest digest, long size) {
      this.digest = digest;
      this.size = size;
      // One ingest per blob at a time: callers share transfers, so a unique name is enough.
      this.partial = ingestDir.resolve(digest.hex() + "." + Thread.currentThread().threadId() + ".partial");
      try {
        this.channel = FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } catch (IOException e) {
        throw new ImageException.StorageFailure("cannot start writing blob " + digest + ": " + e.getMessage(), e);
      }
    }

    @Override
    public long offset() {
      return written;
    }

    @Override
    public void write(InputStream in) throws IOException {
      byte[] buffer = new byte[BUFFER];
      int n;
      while ((n = in.read(buffer)) > 0) {
        if (written + n > size) {
          throw new ImageException.InvalidContent(
              "blob " + digest + " is longer than the " + size + " bytes its descriptor says");
        }
        sha256.update(buffer, 0, n);
        ByteBuffer view = ByteBuffer.wrap(buffer, 0, n);
        try {
          while (view.hasRemaining()) {
            channel.write(view);
          }
        } catch (IOException e) {
          // A disk failure, as opposed to a failing network read, which the caller may retry.
          throw new ImageException.StorageFailure("cannot write blob " + digest + ": " + e.getMessage(), e);
        }
        written += n;
        synchronized (progress) {
          readable = written;
          progress.notifyAll();
        }
      }
    }

    @Override
    public void reset() {
      try {
        channel.truncate(0);
        channel.position(0);
      } catch (IOException e) {
        throw new ImageException.StorageFailure("cannot restart blob " + digest + ": " + e.getMessage(), e);
      }
      sha256 = Digest.sha256();
      written = 0;
      synchronized (progress) {
        // The same digest means the same bytes: a follower keeps its position and waits.
        readable = 0;
      }
    }

    @Override
    public InputStream follow() throws IOException {
      FileChannel reader = FileChannel.open(partial, StandardOpenOption.READ);
      return new InputStream() {
        private long position;

        @Override
        public int read() throws IOException {
          byte[] one = new byte[1];
          return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          long available;
          synchronized (progress) {
            while (position >= readable && !finished && !abandoned) {
              try {
                progress.wait();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted following blob " + digest);
              }
            }
            if (abandoned) {
              throw new IOException("transfer of blob " + digest + " was abandoned");
            }
            if (position >= readable) {
              return -1; // finished: every byte was written and verified
            }
            available = readable - position;
          }
          int n = reader.read(ByteBuffer.wrap(b, off, (int) Math.min(len, available)), position);
          if (n > 0) {
            position += n;
          }
          return n;
        }

        @Override
        public void close() throws IOException {
          reader.close();
        }
      };
    }

    @Override
    public void commit() {
      if (written != size) {
        throw new ImageException.InvalidContent(
            "blob " + digest + " has " + written + " bytes, its descriptor says " + size);
      }
      String actual = "sha256:" + HexFormat.of().formatHex(sha256.digest());
      if (!actual.equals(digest.toString())) {
        throw new ImageException.InvalidContent("blob " + digest + " arrived with digest " + actual);
      }
      try {
        channel.force(false);
        channel.close();
        Path target = path(digest);
        boolean existed = Files.exists(target);
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if (!existed) {
          usedBytes.addAndGet(size);
          blobCount.incrementAndGet();
        }
        committed = true;
        synchronized (progress) {
          finished = true;
          progress.notifyAll();
        }
      } catch (AtomicMoveNotSupportedException e) {
        throw new IllegalStateException(e);
      } catch (IOException e) {
        throw new ImageException.StorageFailure("cannot store blob " + digest + ": " + e.getMessage(), e);
      }
    }

    @Override
    public void close() {
      if (!committed) {
        synchronized (progress) {
          abandoned = true;
          progress.notifyAll();
        }
        try {
          channel.close();
          Files.deleteIfExists(partial);
        } catch (IOException e) {
          throw new ImageException.StorageFailure("cannot discard partial blob " + digest + ": " + e.getMessage(), e);
        }
      }
    }
  }
}
