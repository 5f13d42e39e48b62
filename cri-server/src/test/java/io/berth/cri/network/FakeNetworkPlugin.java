package io.berth.cri.network;

import io.berth.cri.error.UnavailableException;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A recording {@link NetworkPlugin} for unit tests: records every setUp and tearDown with the
 * sandbox and its namespace, hands out the IPs it is given, fails on demand as {@code CniNetwork}
 * does (an {@link UnavailableException}), and keeps the set of attached sandboxes, so a test can
 * assert that an undo left nothing attached. Thread-safe: handlers attach on their own threads.
 */
public final class FakeNetworkPlugin implements NetworkPlugin {
  /** The two calls a plugin receives. */
  public enum Operation { SET_UP, TEAR_DOWN }

  /** One call as the plugin received it. */
  public record Call(Operation operation, String sandboxId, String netns, PodSandboxConfig config) {}

  private final List<Call> calls = new ArrayList<>();
  private final Map<String, String> attached = new LinkedHashMap<>();
  private Condition readiness = Condition.met(Condition.NETWORK_READY);
  private List<String> ips = List.of("10.88.0.2");
  private String setUpFailure;
  private String tearDownFailure;

  /** The IPs every following setUp returns, primary first (default one IPv4 address). */
  public synchronized FakeNetworkPlugin returnIps(String... addresses) {
    ips = List.of(addresses);
    return this;
  }

  /** Every following setUp fails with {@code reason} (after recording the call) and attaches nothing. */
  public synchronized FakeNetworkPlugin failSetUp(String reason) {
    setUpFailure = reason;
    return this;
  }

  /** Every following tearDown fails with {@code reason}; the sandbox stays attached, as after a failed CNI DEL. */
  public synchronized FakeNetworkPlugin failTearDown(String reason) {
    tearDownFailure = reason;
    return this;
  }

  /** Ends the failures {@link #failSetUp} and {@link #failTearDown} asked for. */
  public synchronized FakeNetworkPlugin stopFailing() {
    setUpFailure = null;
    tearDownFailure = null;
    return this;
  }

  /** What {@link #readiness()} answers from now on (default: ready). */
  public synchronized FakeNetworkPlugin readiness(Condition condition) {
    readiness = condition;
    return this;
  }

  /** Makes the plugin report NetworkReady=false with {@code reason}, as CniNetwork without a config. */
  public synchronized FakeNetworkPlugin notReady(String reason, String message) {
    return readiness(Condition.unmet(Condition.NETWORK_READY, reason, message));
  }

  @Override
  public synchronized Condition readiness() {
    return readiness;
  }

  @Override
  public synchronized List<String> setUp(String id, String netns, PodSandboxConfig config) {
    calls.add(new Call(Operation.SET_UP, id, netns, config));
    if (setUpFailure != null) {
      throw new UnavailableException("cannot set up the network of pod sandbox " + id + " (fake): " + setUpFailure);
    }
    attached.put(id, netns);
    return ips;
  }

  @Override
  public synchronized void tearDown(String id, String netns, PodSandboxConfig config) {
    calls.add(new Call(Operation.TEAR_DOWN, id, netns, config));
    if (tearDownFailure != null) {
      throw new UnavailableException("cannot tear down the network of pod sandbox " + id + ": " + tearDownFailure);
    }
    attached.remove(id); // idempotent: detaching what is not attached is no error
  }

  /** As CniNetwork's records: every sandbox set up (or being set up) and not torn down since. */
  @Override
  public synchronized Set<String> recorded() {
    return Set.copyOf(attached.keySet());
  }

  /** The sandboxes attached now (set up and not torn down since), each with its namespace path. */
  public synchronized Map<String, String> attached() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(attached));
  }

  /** Every call so far, in order. */
  public synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** The sandbox IDs of the calls of {@code operation}, in order. */
  public synchronized List<String> sandboxesOf(Operation operation) {
    return calls.stream().filter(c -> c.operation().equals(operation)).map(Call::sandboxId).toList();
  }
}
