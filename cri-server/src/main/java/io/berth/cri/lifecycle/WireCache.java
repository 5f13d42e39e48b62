package io.berth.cri.lifecycle;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The wire message last built for each object, reused while its record is the same instance:
 * records are immutable and replaced on every change, so an unchanged instance means an unchanged
 * message. The kubelet relists every object every second and most never change; building their
 * messages (maps of labels and annotations included) again each time was most of a list call.
 */
public final class WireCache<R, M> {
  /** Entries kept beyond the live objects before the dead ones are dropped. */
  private static final int SLACK = 64;

  private record Entry<R, M>(R record, Object variant, M message) {}

  private final ConcurrentHashMap<String, Entry<R, M>> entries = new ConcurrentHashMap<>();

  /**
   * The message of object {@code id} in {@code record} (and {@code variant}, e.g. a computed
   * state that is not in the record), built by {@code build} unless the last one still holds.
   */
  public M get(String id, R record, Object variant, Function<R, M> build) {
    Entry<R, M> entry = entries.get(id);
    if (entry != null && entry.record() == record && Objects.equals(entry.variant(), variant)) {
      return entry.message();
    }
    M message = build.apply(record);
    entries.put(id, new Entry<>(record, variant, message));
    return message;
  }

  /** Drops the entries of objects that are gone, once there are {@link #SLACK} more entries than {@code live}. */
  public void trim(int live, Predicate<String> gone) {
    if (entries.size() > live + SLACK) {
      entries.keySet().removeIf(gone);
    }
  }

  int size() {
    return entries.size();
  }
}
