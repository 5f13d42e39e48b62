package io.berth.oci.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** A seccomp profile in the runtime spec's form. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Seccomp(String defaultAction, Integer defaultErrnoRet, List<String> architectures, List<Rule> syscalls) {

  /** An action for a set of system calls, optionally only when arguments match. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Rule(List<String> names, String action, Integer errnoRet, List<Arg> args) {}

  /** One argument condition. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Arg(int index, long value, Long valueTwo, String op) {}
}
