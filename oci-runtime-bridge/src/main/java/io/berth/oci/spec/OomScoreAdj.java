package io.berth.oci.spec;

/**
 * oom_score_adj for the container. Without CAP_SYS_RESOURCE a process cannot lower it below its
 * own value, and runc fails the whole container when asked to; so the requested value is
 * clamped to the daemon's own then (containerd's restrict_oom_score_adj).
 */
public final class OomScoreAdj {
  private OomScoreAdj() {}

  public static int of(int requested, int daemonValue, boolean canLower) {
    int value = Math.max(-1000, Math.min(1000, requested));
    return !canLower && value < daemonValue ? daemonValue : value;
  }
}
