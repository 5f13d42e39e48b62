package io.berth.cri.doctor;

/** One prerequisite of a working node, checked by reading the host (never by changing it). */
public interface Check {
  /** The check's name, as printed in the second column: lower case, dashes. */
  String name();

  Result run();
}
