package io.berth.cri.streaming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.UnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StreamTokensTest {
  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private static final StreamRequest EXEC =
      new StreamRequest.Exec("c1", List.of("true"), new StreamRequest.Stdio(false, true, true, false));

  @Test
  void aTokenIsRedeemedOnce() {
    var tokens = new StreamTokens(Duration.ofSeconds(60), 10, new ManualClock());
    String token = tokens.issue(EXEC);
    assertThat(tokens.redeem(token)).contains(EXEC);
    assertThat(tokens.redeem(token)).isEmpty();
    assertThat(tokens.redeem("made-up")).isEmpty();
  }

  @Test
  void anUnusedTokenExpires() {
    var clock = new ManualClock();
    var tokens = new StreamTokens(Duration.ofSeconds(60), 10, clock);
    String token = tokens.issue(EXEC);
    clock.now = clock.now.plusSeconds(61);
    assertThat(tokens.redeem(token)).isEmpty();
    assertThat(tokens.outstanding()).isZero();
  }

  @Test
  void tokensAreUnguessableAndDistinct() {
    var tokens = new StreamTokens(Duration.ofSeconds(60), 1000, new ManualClock());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 500; i++) {
      String token = tokens.issue(EXEC);
      assertThat(token).hasSize(43).matches("[A-Za-z0-9_-]+"); // 256 random bits, URL-safe
      assertThat(seen.add(token)).isTrue();
    }
  }

  @Test
  void outstandingTokensAreBoundedButExpiredOnesMakeRoom() {
    var clock = new ManualClock();
    var tokens = new StreamTokens(Duration.ofSeconds(60), 2, clock);
    tokens.issue(EXEC);
    tokens.issue(EXEC);
    assertThatThrownBy(() -> tokens.issue(EXEC)).isInstanceOf(UnavailableException.class)
        .hasMessageContaining("too many unused streaming URLs");
    clock.now = clock.now.plusSeconds(61);
    assertThat(tokens.issue(EXEC)).isNotEmpty();
  }
}
