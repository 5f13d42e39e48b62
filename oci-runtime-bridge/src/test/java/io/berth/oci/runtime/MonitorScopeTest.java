package io.berth.oci.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MonitorScopeTest {
  @Test
  void withoutSystemdConmonIsRunAsItIs() {
    assertThat(MonitorScope.NONE.prefix("abc")).isEmpty();
    assertThat(MonitorScope.forDriver(false)).isEqualTo(MonitorScope.NONE);
  }

  @Test
  void underSystemdEachConmonGetsItsOwnCollectedScopeInTheSystemSlice() {
    assertThat(new MonitorScope(List.of("/usr/bin/systemd-run")).prefix("abc")).containsExactly(
        "/usr/bin/systemd-run", "--scope", "--quiet", "--collect", "--slice=system.slice",
        "--unit=berth-conmon-abc.scope", "--description=berth conmon for container abc", "--");
  }
}
