package io.berth.cri.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UndoStackTest {
  @Test
  void unwindsNewestFirstWhenNotCommitted() {
    List<String> undone = new ArrayList<>();
    try (UndoStack undo = new UndoStack()) {
      undo.push("a", () -> undone.add("a"));
      undo.push("b", () -> undone.add("b"));
    }
    assertThat(undone).containsExactly("b", "a");
  }

  @Test
  void commitKeepsEverything() {
    List<String> undone = new ArrayList<>();
    try (UndoStack undo = new UndoStack()) {
      undo.push("a", () -> undone.add("a"));
      undo.commit();
    }
    assertThat(undone).isEmpty();
  }

  @Test
  void aFailingUndoDoesNotStopTheOthers() {
    List<String> undone = new ArrayList<>();
    UndoStack undo = new UndoStack();
    undo.push("a", () -> undone.add("a"));
    undo.push("broken", () -> {
      throw new IllegalStateException("boom");
    });
    undo.push("c", () -> undone.add("c"));
    assertThatThrownBy(undo::close).hasMessageContaining("undo failed: broken: boom");
    assertThat(undone).containsExactly("c", "a");
  }
}
