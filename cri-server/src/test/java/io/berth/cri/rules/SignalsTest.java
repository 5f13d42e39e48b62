package io.berth.cri.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.proto.runtime.v1.Signal;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Stop signals become numbers runc's kill takes, whatever spelling an image or the CRI uses. */
class SignalsTest {
  @Test
  void namesInAnySpellingRealtimeSignalsAndNumbers() {
    assertThat(Signals.number("SIGTERM")).hasValue(15);
    assertThat(Signals.number("term")).hasValue(15);
    assertThat(Signals.number("SIGRTMIN+3")).hasValue(37);
    assertThat(Signals.number("RTMAX-2")).hasValue(62);
    assertThat(Signals.number("SIGRTMIN")).hasValue(34);
    assertThat(Signals.number("SIGCLD")).hasValue(17);
    assertThat(Signals.number("SIGIOT")).hasValue(6);
    assertThat(Signals.number("SIG15")).hasValue(15);
    assertThat(Signals.number("64")).hasValue(64);
  }

  @Test
  void whatNoKernelSignalIsHasNoNumber() {
    for (String bad : new String[] {"SIGFOO", "NIZED", "0", "65", "999", "SIG", "", "TERM\nKILL", "RTMIN+31",
        "RTMAX-31", "١٥"}) {
      assertThat(Signals.number(bad)).as(bad).isEmpty();
    }
  }

  @Test
  void everySignalOfTheCriEnumHasANumber() {
    Arrays.stream(Signal.values()).filter(s -> s != Signal.UNRECOGNIZED && s != Signal.SIGNAL_RUNTIME_DEFAULT)
        .forEach(s -> assertThat(Signals.number(s.name().substring("SIGNAL_".length()))).as(s.name()).isPresent());
    assertThat(Signals.number("SIGRTMINPLUS1")).hasValue(35);
    assertThat(Signals.number("SIGRTMAXMINUS1")).hasValue(63);
  }
}
