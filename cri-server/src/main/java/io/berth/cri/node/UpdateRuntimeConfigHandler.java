package io.berth.cri.node;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.network.PodNetworkSettings;
import io.berth.proto.runtime.v1.UpdateRuntimeConfigRequest;
import io.berth.proto.runtime.v1.UpdateRuntimeConfigResponse;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handles UpdateRuntimeConfig: validates and records the node's pod CIDRs (comma-separated for
 * dual stack). An empty CIDR leaves the recorded one unchanged, as the kubelet sends it empty
 * before the node has one.
 */
public final class UpdateRuntimeConfigHandler {
  private static final Logger log = LoggerFactory.getLogger(UpdateRuntimeConfigHandler.class);

  private final PodNetworkSettings settings;

  public UpdateRuntimeConfigHandler(PodNetworkSettings settings) {
    this.settings = settings;
  }

  public UpdateRuntimeConfigResponse handle(UpdateRuntimeConfigRequest request) {
    String podCidr = request.getRuntimeConfig().getNetworkConfig().getPodCidr().strip();
    if (!podCidr.isEmpty()) {
      List<String> cidrs = new ArrayList<>();
      for (String part : podCidr.split(",")) {
        cidrs.add(validCidr(part.strip()));
      }
      if (!cidrs.equals(settings.podCidrs())) {
        log.info("pod CIDRs updated from={} to={}", settings.podCidrs(), cidrs);
        settings.setPodCidrs(cidrs);
      }
    }
    return UpdateRuntimeConfigResponse.getDefaultInstance();
  }

  static String validCidr(String cidr) {
    int slash = cidr.indexOf('/');
    if (slash <= 0 || slash == cidr.length() - 1) {
      throw new InvalidArgumentException("pod CIDR '" + cidr + "' is not of the form address/prefix");
    }
    InetAddress address;
    int prefix;
    try {
      address = InetAddress.ofLiteral(cidr.substring(0, slash));
      prefix = Integer.parseInt(cidr.substring(slash + 1));
    } catch (IllegalArgumentException e) {
      throw new InvalidArgumentException("pod CIDR '" + cidr + "' is invalid: " + e.getMessage(), e);
    }
    int maxPrefix = address.getAddress().length * 8;
    if (prefix < 0 || prefix > maxPrefix) {
      throw new InvalidArgumentException(
          "pod CIDR '" + cidr + "' has prefix length " + prefix + ", outside 0.." + maxPrefix);
    }
    return cidr;
  }
}
