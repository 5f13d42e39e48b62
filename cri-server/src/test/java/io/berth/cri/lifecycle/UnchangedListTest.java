package io.berth.cri.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class UnchangedListTest {
  private final UnchangedList<String, Object, String> responses = new UnchangedList<>();
  private final AtomicInteger builds = new AtomicInteger();

  private String get(String filter, List<Object> items) {
    return responses.get(filter, items, list -> list.size() + " items #" + builds.incrementAndGet());
  }

  @Test
  void theSameItemInstancesGetTheSameResponseAndAnyOtherListANewOne() {
    Object a = new Object();
    Object b = new Object();
    String first = get("", List.of(a, b));
    assertThat(get("", List.of(a, b))).isSameAs(first);
    assertThat(get("", List.of(a, new Object()))).as("an item replaced").isEqualTo("2 items #2");
    assertThat(get("", List.of(a))).as("an item gone").isEqualTo("1 items #3");
    assertThat(get("", List.of(b, a))).as("another order").isEqualTo("2 items #4");
  }

  @Test
  void eachFilterKeepsItsOwnResponse() {
    Object a = new Object();
    String all = get("", List.of(a));
    String running = get("state=RUNNING", List.of());
    assertThat(get("", List.of(a))).isSameAs(all);
    assertThat(get("state=RUNNING", List.of())).isSameAs(running);
    for (int i = 0; i < 40; i++) {
      get("id=" + i, List.of());
    }
    assertThat(builds.get()).as("ever-new filters are built, never wrongly reused").isEqualTo(42);
  }

  @Test
  void aClientVaryingItsFilterEvictsOneEntryAtATimeNotAll() {
    Object a = new Object();
    get("", List.of(a));
    for (int i = 0; i < 15; i++) {
      get("id=" + i, List.of());
    }
    int built = builds.get();
    get("id=new", List.of());
    int reused = 0;
    for (int i = 0; i < 15; i++) {
      String key = "id=" + i;
      int before = builds.get();
      get(key, List.of());
      reused += builds.get() == before ? 1 : 0;
    }
    assertThat(built).isEqualTo(16);
    assertThat(reused).as("only one of the 16 remembered filters made room").isGreaterThanOrEqualTo(1);
  }
}
