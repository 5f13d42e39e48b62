package io.berth.cri.doctor;

import java.util.List;

/**
 * What the doctor asks a running berthd over its socket: Version and Status. Failures are
 * thrown as runtime exceptions whose message says why (no socket, refused, deadline).
 */
public interface BerthdProbe {
  /** Version's answer. */
  record Version(String runtimeName, String runtimeVersion, String runtimeApiVersion) {}

  /** One condition of Status. */
  record Condition(String type, boolean status, String reason, String message) {}

  /** Where the probe connects, as printed ("unix:///run/berth/berth.sock"). */
  String endpoint();

  Version version();

  List<Condition> conditions();
}
