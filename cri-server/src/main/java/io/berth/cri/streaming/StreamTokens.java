package io.berth.cri.streaming;

import io.berth.cri.error.UnavailableException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Single-use, expiring tokens for streaming URLs. A token is 32 random bytes (unguessable), is
 * removed by the first lookup (so it cannot be replayed), and is worthless after {@code ttl}.
 * The number outstanding is bounded so that a caller issuing URLs it never uses cannot grow
 * berthd without limit. Thread-safe.
 */
public final class StreamTokens {
  private record Entry(StreamRequest request, Instant expires) {}

  private final SecureRandom random = new SecureRandom();
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private final Duration ttl;
  private final int capacity;
  private final Clock clock;

  public StreamTokens(Duration ttl, int capacity, Clock clock) {
    this.ttl = ttl;
    this.capacity = capacity;
    this.clock = clock;
  }

  /** Stores {@code request} and returns its new token; fails when too many are outstanding. */
  public String issue(StreamRequest request) {
    Instant now = clock.instant();
    if (entries.size() >= capacity) {
      entries.values().removeIf(e -> !e.expires().isAfter(now));
      if (entries.size() >= capacity) {
        throw new UnavailableException("too many unused streaming URLs (" + capacity + "); try again later");
      }
    }
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    entries.put(token, new Entry(request, now.plus(ttl)));
    return token;
  }

  /** The request behind {@code token}, once: the token is spent whether or not it had expired. */
  public Optional<StreamRequest> redeem(String token) {
    Entry entry = entries.remove(token);
    if (entry == null || !entry.expires().isAfter(clock.instant())) {
      return Optional.empty();
    }
    return Optional.of(entry.request());
  }

  int outstanding() {
    return entries.size();
  }
}
