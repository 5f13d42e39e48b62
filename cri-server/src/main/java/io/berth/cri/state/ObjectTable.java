package io.berth.cri.state;

import com.google.protobuf.Message;
import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.error.NotFoundException;
import io.berth.cri.rules.FieldRules;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The live set of one kind of object (sandboxes or containers): immutable records by ID, kept
 * in memory for lists and written through to {@link RecordFiles}, plus one lock per ID so that
 * operations on one object are serialised while different objects proceed in parallel. Lists
 * never take a lock: they read whatever record was last published.
 */
public final class ObjectTable<T extends Message> {
  /** Every ID is this long ({@link Ids#next}), so a longer string is no ID and no prefix of one. */
  private static final int ID_LENGTH = 64;
  private final String kind;
  private final RecordFiles<T> files;
  private final Function<T, String> idOf;
  private final ConcurrentHashMap<String, T> records = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

  public ObjectTable(String kind, RecordFiles<T> files, Function<T, String> idOf) {
    this.kind = kind;
    this.files = files;
    this.idOf = idOf;
  }

  /** Loads every record from disk; called once at start, before serving. */
  public List<T> load() {
    List<T> loaded = files.loadAll();
    loaded.forEach(r -> records.put(idOf.apply(r), r));
    return loaded;
  }

  /** Persists {@code record}, then publishes it. */
  public T put(T record) {
    String id = idOf.apply(record);
    files.write(id, record);
    records.put(id, record);
    return record;
  }

  public void delete(String id) {
    files.delete(id);
    records.remove(id);
    locks.remove(id);
  }

  public Optional<T> find(String id) {
    return Optional.ofNullable(records.get(id));
  }

  public Collection<T> all() {
    return records.values();
  }

  /** The object with this full ID or unique ID prefix; NOT_FOUND otherwise, as kubelets expect. */
  public T resolve(String idOrPrefix) {
    return tryResolve(idOrPrefix).orElseThrow(() -> new NotFoundException(kind + " " + FieldRules.printable(idOrPrefix)
        + " not found"));
  }

  /** Like {@link #resolve} but empty when nothing matches; an ambiguous prefix is still an error. */
  public Optional<T> tryResolve(String idOrPrefix) {
    if (idOrPrefix == null || idOrPrefix.isEmpty()) {
      throw new InvalidArgumentException(kind + " ID must not be empty");
    }
    T exact = records.get(idOrPrefix);
    if (exact != null) {
      return Optional.of(exact);
    }
    if (idOrPrefix.length() >= ID_LENGTH) {
      return Optional.empty(); // no prefix of a longer string: answered without a scan, however long it is
    }
    List<T> matches = new ArrayList<>();
    for (var entry : records.entrySet()) {
      if (entry.getKey().startsWith(idOrPrefix)) {
        matches.add(entry.getValue());
      }
    }
    if (matches.size() > 1) {
      throw new InvalidArgumentException(kind + " ID prefix " + FieldRules.printable(idOrPrefix)
          + " is ambiguous (" + matches.size() + " matches)");
    }
    return matches.stream().findFirst();
  }

  /** Runs {@code action} holding the lock of object {@code id}. */
  public <R> R locked(String id, Supplier<R> action) {
    ReentrantLock lock = lock(id);
    lock.lock();
    try {
      return action.get();
    } finally {
      lock.unlock();
    }
  }

  /** The lock that serialises operations on object {@code id}. */
  public ReentrantLock lock(String id) {
    return locks.computeIfAbsent(id, k -> new ReentrantLock());
  }
}
