package io.berth.cri.state;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Object names as the kubelet makes them unique ({@code name_namespace_uid_attempt}), each held
 * by one ID from the moment a create begins until the object is removed.
 */
public final class NameReservations {
  private final ConcurrentHashMap<String, String> owners = new ConcurrentHashMap<>();

  /** Reserves {@code name} for {@code id}; returns the current owner when someone else has it. */
  public Optional<String> reserve(String name, String id) {
    String owner = owners.putIfAbsent(name, id);
    return owner == null || owner.equals(id) ? Optional.empty() : Optional.of(owner);
  }

  /** Releases {@code name} if {@code id} holds it. */
  public void release(String name, String id) {
    owners.remove(name, id);
  }
}
