package io.berth.cri.network.cni;

/** A CNI plugin failed: its own code, message and details when it gave them (CNI error format). */
public final class CniException extends RuntimeException {
  public CniException(String message) {
    super(message);
  }

  public CniException(String message, Throwable cause) {
    super(message, cause);
  }
}
