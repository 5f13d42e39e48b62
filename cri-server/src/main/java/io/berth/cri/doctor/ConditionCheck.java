package io.berth.cri.doctor;

import java.util.List;
import java.util.Optional;

/**
 * One condition of berthd's Status (RuntimeReady, NetworkReady) as the kubelet reads it: false
 * keeps the node NotReady. The reason and message are berthd's own; the fix points at the check
 * that explains it. Not asked when berthd does not answer (the berthd check fails then).
 */
final class ConditionCheck implements Check {
  private final BerthdProbe probe;
  private final String type;
  private final String name;
  private final String fix;

  ConditionCheck(BerthdProbe probe, String type, String name, String fix) {
    this.probe = probe;
    this.type = type;
    this.name = name;
    this.fix = fix;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Result run() {
    List<BerthdProbe.Condition> conditions;
    try {
      conditions = probe.conditions();
    } catch (RuntimeException e) {
      return Result.warn(name, type + " not known: berthd did not answer Status (" + e.getMessage() + ")",
          "see the berthd check");
    }
    Optional<BerthdProbe.Condition> condition = conditions.stream().filter(c -> c.type().equals(type)).findFirst();
    if (condition.isEmpty()) {
      return Result.fail(name, "berthd's Status has no " + type + " condition", "upgrade berthd");
    }
    BerthdProbe.Condition c = condition.get();
    if (c.status()) {
      return Result.pass(name, type + "=true");
    }
    return Result.fail(name, type + "=false (" + c.reason() + ": " + c.message() + ")", fix);
  }
}
