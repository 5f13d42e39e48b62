package io.berth.cri.doctor;

import io.berth.cri.config.BerthConfig;
import io.berth.cri.network.cni.CniConfigList;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.node.ObjectNode;

/**
 * Every plugin the chosen CNI configuration names, the IPAM plugins inside them included (bridge
 * runs host-local from the same path), is an executable file in one of network.cni_bin_dirs;
 * a missing one fails every pod's network set-up.
 */
final class CniPluginsCheck implements Check {
  private final Host host;
  private final BerthConfig.Network network;

  CniPluginsCheck(Host host, BerthConfig.Network network) {
    this.host = host;
    this.network = network;
  }

  @Override
  public String name() {
    return "cni-plugins";
  }

  @Override
  public Result run() {
    Optional<CniConfigList> config = CniConfigCheck.load(host, network, new ArrayList<>());
    if (config.isEmpty()) {
      return Result.fail(name(), "no valid CNI config, so no plugin can run", "see cni-config");
    }
    Set<String> types = new LinkedHashSet<>();
    for (ObjectNode plugin : config.get().plugins()) {
      types.add(plugin.path("type").asString());
      String ipam = plugin.path("ipam").path("type").asString("");
      if (!ipam.isEmpty()) {
        types.add(ipam);
      }
    }
    Map<String, String> found = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    for (String type : types) {
      network.cniBinDirs().stream()
          .map(dir -> (dir.endsWith("/") ? dir : dir + "/") + type)
          .filter(host::isExecutableFile)
          .findFirst()
          .ifPresentOrElse(path -> found.put(type, path), () -> missing.add(type));
    }
    String dirs = String.join(", ", network.cniBinDirs());
    String file = config.get().source().getFileName().toString();
    if (!missing.isEmpty()) {
      return Result.fail(name(), "plugin" + (missing.size() > 1 ? "s " : " ") + String.join(", ", missing)
              + " named by " + file + (missing.size() > 1 ? " are" : " is") + " in none of " + dirs
              + " (network.cni_bin_dirs): pods get no network",
          "install containernetworking-plugins, or put the " + String.join(", ", missing) + " plugin"
              + (missing.size() > 1 ? "s" : "") + " into one of " + dirs);
    }
    Set<String> where = new LinkedHashSet<>();
    found.values().forEach(p -> where.add(p.substring(0, p.lastIndexOf('/'))));
    return Result.pass(name(), String.join(", ", found.keySet()) + " in " + String.join(", ", where));
  }
}
