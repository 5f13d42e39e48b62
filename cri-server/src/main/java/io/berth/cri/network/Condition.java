package io.berth.cri.network;

import java.util.Objects;

/** One readiness condition as Status reports it; a condition that is not met carries a reason. */
public record Condition(String type, boolean ready, String reason, String message) {
  public static final String RUNTIME_READY = "RuntimeReady";
  public static final String NETWORK_READY = "NetworkReady";

  public Condition {
    Objects.requireNonNull(type, "type");
    reason = reason == null ? "" : reason;
    message = message == null ? "" : message;
    if (!ready && reason.isEmpty()) {
      throw new IllegalArgumentException("condition " + type + " is not ready but has no reason");
    }
  }

  public static Condition met(String type) {
    return new Condition(type, true, "", "");
  }

  public static Condition unmet(String type, String reason, String message) {
    return new Condition(type, false, reason, message);
  }
}
