package io.berth.cri.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.error.NotFoundException;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObjectTableTest {
  @TempDir Path dir;

  private ObjectTable<ContainerRecord> table() {
    return new ObjectTable<>("container", new RecordFiles<>(dir, ContainerRecord.parser()), ContainerRecord::getId);
  }

  private static ContainerRecord record(String id) {
    return ContainerRecord.newBuilder().setId(id).setPhase(Phase.CREATED).setName("n-" + id).build();
  }

  @Test
  void recordsSurviveAReloadAndInterruptedWritesAreDropped() throws Exception {
    var table = table();
    table.put(record("abc123"));
    table.put(record("abd456").toBuilder().setPhase(Phase.RUNNING).build());
    Files.writeString(dir.resolve(".zzz.tmp"), "half a record");
    Files.writeString(dir.resolve("broken.pb"), "\u00ff\u00ff not protobuf");

    var reloaded = table();
    assertThat(reloaded.load()).extracting(ContainerRecord::getId).containsExactlyInAnyOrder("abc123", "abd456");
    assertThat(reloaded.find("abd456")).hasValueSatisfying(r -> assertThat(r.getPhase()).isEqualTo(Phase.RUNNING));
    assertThat(dir.resolve(".zzz.tmp")).doesNotExist();

    reloaded.delete("abc123");
    assertThat(table().load()).extracting(ContainerRecord::getId).containsExactly("abd456");
  }

  @Test
  void resolvesFullIdsAndUniquePrefixesOnly() {
    var table = table();
    table.put(record("abc123"));
    table.put(record("abd456"));
    assertThat(table.resolve("abc").getId()).isEqualTo("abc123");
    assertThat(table.resolve("abd456").getId()).isEqualTo("abd456");
    assertThatThrownBy(() -> table.resolve("ab")).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("ambiguous");
    assertThatThrownBy(() -> table.resolve("ffff")).isInstanceOf(NotFoundException.class)
        .hasMessageContaining("container ffff not found");
    assertThatThrownBy(() -> table.resolve("")).isInstanceOf(InvalidArgumentException.class);
    assertThat(table.tryResolve("ffff")).isEmpty();
  }

  @Test
  void aNameHasOneOwnerUntilReleased() {
    var names = new NameReservations();
    assertThat(names.reserve("web_default_uid_0", "id1")).isEmpty();
    assertThat(names.reserve("web_default_uid_0", "id1")).as("idempotent for its owner").isEmpty();
    assertThat(names.reserve("web_default_uid_0", "id2")).contains("id1");
    names.release("web_default_uid_0", "id2");
    assertThat(names.reserve("web_default_uid_0", "id2")).as("only the owner releases").contains("id1");
    names.release("web_default_uid_0", "id1");
    assertThat(names.reserve("web_default_uid_0", "id2")).isEmpty();
    assertThat(Ids.next()).hasSize(64).matches("[0-9a-f]+").isNotEqualTo(Ids.next());
  }
}
