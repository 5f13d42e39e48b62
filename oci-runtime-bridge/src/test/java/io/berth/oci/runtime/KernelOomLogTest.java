package io.berth.oci.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.sys.LinuxSyscalls;
import org.junit.jupiter.api.Test;

class KernelOomLogTest {
  private static final String ID = "63620c850a2eb0df5902c7a18cbeed3fec125803201f343a0e29cfc980362f21";

  @Test
  void anOomKillRecordNamesTheContainerByItsMemoryCgroup() {
    String systemd = "6,1234,5678901,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
        + "oom_memcg=/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/berth-" + ID + ".scope,"
        + "task_memcg=/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/berth-" + ID + ".scope,"
        + "task=dd,pid=4242,uid=0\n";
    assertThat(KernelOomLog.names(systemd, ID)).isTrue();
    String crun = systemd.replace(".scope,task", ".scope/container,task");
    assertThat(KernelOomLog.names(crun, ID)).isTrue();
    String cgroupfs = "6,1,2,-;oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/kubepods/pod1/" + ID
        + ",task_memcg=/kubepods/pod1/" + ID + ",task=dd,pid=1,uid=0\n";
    assertThat(KernelOomLog.names(cgroupfs, ID)).isTrue();
  }

  @Test
  void otherRecordsAndOtherContainersAreNot() {
    assertThat(KernelOomLog.names("6,1,2,-;oom-kill:oom_memcg=/berth-other.scope,task=dd\n", ID)).isFalse();
    assertThat(KernelOomLog.names("6,1,2,-;Killed process 4242 (dd) in berth-" + ID + "\n", ID)).isFalse();
    assertThat(KernelOomLog.names("no separator " + ID, ID)).isFalse();
  }

  @Test
  void withoutAKernelLogNothingIsFound() {
    assertThat(new KernelOomLog(LinuxSyscalls.INSTANCE, "/nonexistent/kmsg").killedIn(ID)).isFalse();
  }
}
