package io.berth.cri.node;

import io.berth.cri.config.BerthConfig;
import io.berth.proto.runtime.v1.CgroupDriver;
import io.berth.proto.runtime.v1.LinuxRuntimeConfiguration;
import io.berth.proto.runtime.v1.RuntimeConfigRequest;
import io.berth.proto.runtime.v1.RuntimeConfigResponse;

/** Handles RuntimeConfig: tells the kubelet which cgroup driver berthd uses, so both agree. */
public final class RuntimeConfigHandler {
  private final CgroupDriver driver;

  public RuntimeConfigHandler(BerthConfig.CgroupDriver driver) {
    this.driver =
        switch (driver) {
          case CGROUPFS -> CgroupDriver.CGROUPFS;
          case SYSTEMD -> CgroupDriver.SYSTEMD;
        };
  }

  public RuntimeConfigResponse handle(RuntimeConfigRequest request) {
    return RuntimeConfigResponse.newBuilder()
        .setLinux(LinuxRuntimeConfiguration.newBuilder().setCgroupDriver(driver))
        .build();
  }
}
