package io.berth.cri.doctor;

import java.util.List;

/** A berthd that answers with the given version and conditions, or fails every call with {@code failure}. */
final class FakeProbe implements BerthdProbe {
  private final List<Condition> conditions;
  private final String failure;

  private FakeProbe(List<Condition> conditions, String failure) {
    this.conditions = conditions;
    this.failure = failure;
  }

  static FakeProbe answering(Condition... conditions) {
    return new FakeProbe(List.of(conditions), null);
  }

  static FakeProbe down(String failure) {
    return new FakeProbe(List.of(), failure);
  }

  @Override
  public String endpoint() {
    return "unix:///run/berth/berth.sock";
  }

  @Override
  public Version version() {
    if (failure != null) {
      throw new IllegalStateException(failure);
    }
    return new Version("berth", "0.1.0", "v1");
  }

  @Override
  public List<Condition> conditions() {
    if (failure != null) {
      throw new IllegalStateException(failure);
    }
    return conditions;
  }
}
