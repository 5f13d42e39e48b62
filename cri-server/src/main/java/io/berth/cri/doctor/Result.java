package io.berth.cri.doctor;

import java.util.Objects;

/**
 * What one check found: its name, the status, a one-line explanation and, for WARN and FAIL,
 * a one-line fix (null for PASS).
 */
public record Result(String name, Status status, String detail, String fix) {
  public Result {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(detail, "detail");
    if (status != Status.PASS) {
      Objects.requireNonNull(fix, "a " + status + " needs a fix");
    }
  }

  public static Result pass(String name, String detail) {
    return new Result(name, Status.PASS, detail, null);
  }

  public static Result warn(String name, String detail, String fix) {
    return new Result(name, Status.WARN, detail, fix);
  }

  public static Result fail(String name, String detail, String fix) {
    return new Result(name, Status.FAIL, detail, fix);
  }

  /** WARN or FAIL as {@code failing} says: the same finding is fatal in one place and a caveat in another. */
  public static Result problem(String name, boolean failing, String detail, String fix) {
    return new Result(name, failing ? Status.FAIL : Status.WARN, detail, fix);
  }
}
