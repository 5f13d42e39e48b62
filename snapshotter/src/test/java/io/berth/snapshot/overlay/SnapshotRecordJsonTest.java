package io.berth.snapshot.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.snapshot.SnapshotInfo;
import io.berth.snapshot.StoredJson;
import io.berth.snapshot.Usage;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;

class SnapshotRecordJsonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aRecordWrittenByJacksonReadsBackEqual() {
    SnapshotRecord record = new SnapshotRecord(7, "sha256:aa", "sha256:bb", SnapshotInfo.Kind.ACTIVE,
        Instant.parse("2026-12-04T23:05:39.659943690Z"), new Usage(1982450, 282), true, "/srv/containers");
    SnapshotRecord bare = new SnapshotRecord(1, "k", null, SnapshotInfo.Kind.COMMITTED, null, null, false, null);

    assertThat(read(JSON.writeValueAsString(record))).isEqualTo(record);
    assertThat(read(JSON.writeValueAsString(bare))).isEqualTo(bare);
  }

  @Test
  void aStoreWrittenBeforeContainerLayersExistedReadsAsFalseAndNull() {
    assertThat(read("""
        {"id":3,"key":"k","parent":null,"kind":"VIEW","created":"2026-01-01T00:00:00Z","usage":null}"""))
        .isEqualTo(new SnapshotRecord(3, "k", null, SnapshotInfo.Kind.VIEW, Instant.parse("2026-01-01T00:00:00Z"),
            null, false, null));
  }

  private static SnapshotRecord read(String text) {
    return SnapshotRecord.read(StoredJson.parse(JSON, text));
  }
}
