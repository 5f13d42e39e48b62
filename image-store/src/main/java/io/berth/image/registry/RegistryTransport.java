package io.berth.image.registry;

import io.berth.image.registry.RegistryHosts.Endpoint;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How {@link RegistryClient} sends one HTTP request: a blocking exchange that never follows
 * redirects (the client follows them itself, to keep credentials on the original host).
 * {@link HttpTransport} is the real one; unit tests use an in-memory fake. A stalled body
 * fails its read with {@link java.net.SocketTimeoutException}, an unreachable host fails the
 * send with an {@link IOException}. Implementations are thread-safe.
 */
public interface RegistryTransport {
  /** A response whose body must be closed (which returns the connection to the pool). */
  record Response(int status, Map<String, List<String>> headers, InputStream body) implements AutoCloseable {
    /** The first value of header {@code name}, matched case-insensitively. */
    public Optional<String> header(String name) {
      for (var entry : headers.entrySet()) {
        if (entry.getKey() != null && entry.getKey().equalsIgnoreCase(name) && !entry.getValue().isEmpty()) {
          return Optional.of(entry.getValue().getFirst());
        }
      }
      return Optional.empty();
    }

    public long contentLength() {
      return header("Content-Length").map(Long::parseLong).orElse(-1L);
    }

    @Override
    public void close() {
      try {
        body.close();
      } catch (IOException ignored) {
        // a broken body: the connection is not reused
      }
    }
  }

  /**
   * Sends {@code method} to {@code uri} with {@code headers} and {@code body} (null: none);
   * {@code endpoint} says how far to trust the server's certificate (skip_verify, CA).
   */
  Response send(Endpoint endpoint, URI uri, String method, Map<String, String> headers, byte[] body) throws IOException;

  /** Does costly set-up (the default TLS context) now rather than on the first pull. */
  default void prepare() {}

  /** Drops the TLS contexts built from CA files, which a reloaded configuration may have replaced. */
  default void forgetTlsContexts() {}
}
