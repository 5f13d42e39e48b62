package io.berth.cri.sandbox;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.proto.runtime.v1.DNSConfig;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import java.net.InetAddress;
import java.util.regex.Pattern;

/**
 * What RunPodSandbox refuses before it makes anything: metadata without its names, a hostname
 * that is no RFC 1123 name (a newline in it went to sethostname), and DNS settings that would
 * add lines of their own to the pod's resolv.conf (servers must be IP addresses; searches and
 * options one word each, within the kubelet's limits).
 */
final class SandboxConfigRules {
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern WORD = Pattern.compile("[\\x21-\\x7e]+"); // printable, no space
  private static final int MAX_HOSTNAME = 253;
  // The kubelet's limits for a pod's resolv.conf (validation.MaxDNSSearchPaths and friends).
  private static final int MAX_SERVERS = 3;
  private static final int MAX_SEARCHES = 32;
  private static final int MAX_SEARCH_CHARS = 2048;

  private SandboxConfigRules() {}

  static void validate(PodSandboxConfig config) {
    var meta = config.getMetadata();
    if (!config.hasMetadata() || meta.getName().isEmpty() || meta.getNamespace().isEmpty() || meta.getUid().isEmpty()) {
      throw new InvalidArgumentException("pod sandbox metadata needs name, namespace and uid (got name='"
          + meta.getName() + "' namespace='" + meta.getNamespace() + "' uid='" + meta.getUid() + "')");
    }
    hostname(config.getHostname());
    dns(config.getDnsConfig());
  }

  private static void hostname(String hostname) {
    if (hostname.isEmpty()) {
      return; // berthd picks one
    }
    boolean valid = hostname.length() <= MAX_HOSTNAME;
    for (String label : hostname.split("\\.", -1)) {
      valid &= LABEL.matcher(label).matches();
    }
    if (!valid) {
      throw new InvalidArgumentException("hostname '" + printable(hostname) + "' is not an RFC 1123 name "
          + "(lower-case labels of letters, digits and '-', each at most 63 characters, " + MAX_HOSTNAME + " in all)");
    }
  }

  private static void dns(DNSConfig dns) {
    if (dns.getServersCount() > MAX_SERVERS) {
      throw new InvalidArgumentException("dns_config has " + dns.getServersCount() + " servers; at most "
          + MAX_SERVERS + " fit in resolv.conf");
    }
    for (String server : dns.getServersList()) {
      try {
        InetAddress.ofLiteral(server);
      } catch (IllegalArgumentException e) {
        throw new InvalidArgumentException("dns_config server '" + printable(server) + "' is not an IP address");
      }
    }
    if (dns.getSearchesCount() > MAX_SEARCHES || String.join(" ", dns.getSearchesList()).length() > MAX_SEARCH_CHARS) {
      throw new InvalidArgumentException("dns_config has more than " + MAX_SEARCHES + " searches or "
          + MAX_SEARCH_CHARS + " characters of them");
    }
    for (String search : dns.getSearchesList()) {
      word("search", search);
    }
    for (String option : dns.getOptionsList()) {
      word("option", option);
    }
  }

  private static void word(String what, String value) {
    if (!WORD.matcher(value).matches()) {
      throw new InvalidArgumentException("dns_config " + what + " '" + printable(value)
          + "' must be one word of printable characters (no space, tab or newline)");
    }
  }

  /** The value as it can go in a message: control characters escaped, long ones cut. */
  private static String printable(String value) {
    String cut = value.length() > 80 ? value.substring(0, 80) + "..." : value;
    StringBuilder out = new StringBuilder();
    cut.codePoints().forEach(c -> out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", c)
        : Character.toString(c)));
    return out.toString();
  }
}
