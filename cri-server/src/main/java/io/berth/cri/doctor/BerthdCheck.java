package io.berth.cri.doctor;

/** berthd answers Version on its socket, within the probe's deadline. */
final class BerthdCheck implements Check {
  private final BerthdProbe probe;

  BerthdCheck(BerthdProbe probe) {
    this.probe = probe;
  }

  @Override
  public String name() {
    return "berthd";
  }

  @Override
  public Result run() {
    try {
      BerthdProbe.Version v = probe.version();
      return Result.pass(name(), v.runtimeName() + " " + v.runtimeVersion() + " (CRI " + v.runtimeApiVersion()
          + ") answers at " + probe.endpoint());
    } catch (RuntimeException e) {
      return Result.fail(name(), "no answer at " + probe.endpoint() + ": " + e.getMessage(),
          "start berthd (systemctl start berthd); journalctl -u berthd says why it stopped");
    }
  }
}
