package io.berth.cri.doctor;

import io.berth.cri.config.BerthConfig;
import io.berth.cri.network.cni.CniConfigList;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The CNI network configuration berthd would use: the first valid file of network.cni_conf_dir,
 * chosen and parsed by the same {@link CniConfigList} berthd uses. Without one NetworkReady is
 * false and the kubelet keeps the node NotReady.
 */
final class CniConfigCheck implements Check {
  private final Host host;
  private final BerthConfig.Network network;

  CniConfigCheck(Host host, BerthConfig.Network network) {
    this.host = host;
    this.network = network;
  }

  @Override
  public String name() {
    return "cni-config";
  }

  /** The configuration berthd would load, and why files were passed over. */
  static Optional<CniConfigList> load(Host host, BerthConfig.Network network, List<String> problems) {
    return CniConfigList.load(host.path(network.cniConfDir()), problems);
  }

  @Override
  public Result run() {
    List<String> problems = new ArrayList<>();
    Optional<CniConfigList> config = load(host, network, problems);
    if (config.isEmpty()) {
      return Result.fail(name(), String.join("; ", problems) + " (network.cni_conf_dir): NetworkReady is false",
          "put a network config in " + network.cniConfDir() + ", e.g. cp "
              + "/usr/share/berth/cni/10-berth-bridge.conflist " + network.cniConfDir()
              + "/ (/usr/local/share after make install)");
    }
    CniConfigList list = config.get();
    String detail = list.source().getFileName() + ": network '" + list.name() + "', cniVersion " + list.cniVersion()
        + ", plugins " + String.join(", ", list.plugins().stream().map(p -> p.path("type").asString()).toList());
    if (!problems.isEmpty()) {
      return Result.warn(name(), detail + "; passed over: " + String.join("; ", problems),
          "fix or remove the files passed over (the first valid file in lexical order is used)");
    }
    return Result.pass(name(), detail);
  }
}
