package io.berth.cri.streaming;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.ObjectMapper;

/**
 * How a command session ended, and its rendering as the remotecommand protocols report it: from
 * v4 on, a Kubernetes {@code Status} object (a non-zero exit is reason NonZeroExitCode with an
 * ExitCode cause, which kubectl and crictl turn back into the exit code); before v4, the error
 * text alone and nothing on success.
 */
record SessionResult(int exitCode, String error, List<String> command) {
  private static final ObjectMapper JSON = new ObjectMapper();

  static SessionResult exited(int exitCode, List<String> command) {
    return new SessionResult(exitCode, null, command);
  }

  static SessionResult failed(String error) {
    return new SessionResult(-1, error, List.of());
  }

  static SessionResult detached() {
    return new SessionResult(0, null, List.of());
  }

  boolean success() {
    return error == null && exitCode == 0;
  }

  /** The message a failure carries, or null on success. */
  String message() {
    if (error != null) {
      return "error executing command in container: " + error;
    }
    if (exitCode != 0) {
      return "command terminated with non-zero exit code: error executing command " + command
          + ", exit code " + exitCode;
    }
    return null;
  }

  /** The v4 Status JSON, its fields in the order the kubelet writes them. */
  byte[] statusJson() {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("metadata", Map.of());
    if (success()) {
      status.put("status", "Success");
    } else {
      status.put("status", "Failure");
      status.put("message", message());
      if (error == null) {
        status.put("reason", "NonZeroExitCode");
        status.put("details", Map.of("causes", List.of(orderedCause("ExitCode", Integer.toString(exitCode)))));
      } else {
        status.put("reason", "InternalError");
        status.put("details", Map.of("causes", List.of(Map.of("message", error))));
        status.put("code", 500);
      }
    }
    return JSON.writeValueAsBytes(status);
  }

  private static Map<String, String> orderedCause(String reason, String message) {
    Map<String, String> cause = new LinkedHashMap<>();
    cause.put("reason", reason);
    cause.put("message", message);
    return cause;
  }
}
