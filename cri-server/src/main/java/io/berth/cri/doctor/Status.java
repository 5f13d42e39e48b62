package io.berth.cri.doctor;

/** The outcome of one check: the node works, works with a caveat, or does not work. */
public enum Status {
  PASS,
  WARN,
  FAIL
}
