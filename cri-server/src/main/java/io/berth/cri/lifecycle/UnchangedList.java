package io.berth.cri.lifecycle;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The response last built for each filter of a list call, reused while the call selects the very
 * same item instances ({@link WireCache} keeps an item's message while its record is unchanged).
 * The same response instance is what lets the transport send the bytes it already serialized
 * ({@code LastResponseBytes}) instead of encoding a hundred containers again every second.
 */
public final class UnchangedList<F, I, R> {
  /** Distinct filters remembered; a client sending ever-new filters only costs a rebuild. */
  private static final int MAX_FILTERS = 16;

  private record Entry<I, R>(List<I> items, R response) {}

  private final ConcurrentHashMap<F, Entry<I, R>> entries = new ConcurrentHashMap<>();

  /** The response for {@code items} selected by {@code filter}: the last one if they are the same instances. */
  public R get(F filter, List<I> items, Function<List<I>, R> build) {
    Entry<I, R> entry = entries.get(filter);
    if (entry != null && sameInstances(entry.items(), items)) {
      return entry.response();
    }
    R response = build.apply(items);
    if (entries.size() >= MAX_FILTERS && !entries.containsKey(filter)) {
      // One out, not all: the kubelet's own filters stay cached while another client varies its.
      entries.keySet().stream().findAny().ifPresent(entries::remove);
    }
    entries.put(filter, new Entry<>(items, response));
    return response;
  }

  private static boolean sameInstances(List<?> last, List<?> now) {
    if (last.size() != now.size()) {
      return false;
    }
    for (int i = 0; i < now.size(); i++) {
      if (last.get(i) != now.get(i)) {
        return false;
      }
    }
    return true;
  }
}
