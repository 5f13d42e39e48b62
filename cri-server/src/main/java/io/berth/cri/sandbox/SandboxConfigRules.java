package io.berth.cri.sandbox;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.rules.FieldRules;
import io.berth.cri.rules.HostCpus;
import io.berth.cri.rules.ResourceRules;
import io.berth.proto.runtime.v1.DNSConfig;
import io.berth.proto.runtime.v1.LinuxSandboxSecurityContext;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PortMapping;
import io.berth.proto.runtime.v1.Protocol;
import java.net.InetAddress;
import java.util.regex.Pattern;

/**
 * What RunPodSandbox refuses before it makes anything: metadata without its names, a hostname
 * that is no RFC 1123 name (a newline in it went to sethostname), DNS settings that would add
 * lines of their own to the pod's resolv.conf (servers must be IP addresses; searches and options
 * one word each, within the kubelet's limits), a log directory that is not absolute or has '..' in it,
 * port mappings outside 1-65535, sysctl names that could leave /proc/sys, ids the kernel cannot
 * map, and resources or a cgroup parent runc would refuse later.
 */
final class SandboxConfigRules {
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern WORD = Pattern.compile("[\\x21-\\x7e]+"); // printable, no space
  private static final int MAX_HOSTNAME = 253;
  private static final int MAX_PORT = 65_535;
  // The kubelet's limits for a pod's resolv.conf (validation.MaxDNSSearchPaths and friends).
  private static final int MAX_SERVERS = 3;
  private static final int MAX_SEARCHES = 32;
  private static final int MAX_SEARCH_CHARS = 2048;

  private SandboxConfigRules() {}

  static void validate(PodSandboxConfig config, HostCpus host) {
    var meta = config.getMetadata();
    if (!config.hasMetadata() || meta.getName().isEmpty() || meta.getNamespace().isEmpty() || meta.getUid().isEmpty()) {
      throw new InvalidArgumentException("pod sandbox metadata needs name, namespace and uid (got name='"
          + FieldRules.printable(meta.getName()) + "' namespace='" + FieldRules.printable(meta.getNamespace())
          + "' uid='" + FieldRules.printable(meta.getUid()) + "')");
    }
    FieldRules.text("metadata.name", meta.getName(), MAX_HOSTNAME);
    FieldRules.text("metadata.namespace", meta.getNamespace(), MAX_HOSTNAME);
    FieldRules.text("metadata.uid", meta.getUid(), MAX_HOSTNAME);
    hostname(config.getHostname());
    dns(config.getDnsConfig());
    FieldRules.absoluteNoParent("log_directory", config.getLogDirectory());
    for (PortMapping port : config.getPortMappingsList()) {
      ports(port);
    }
    var linux = config.getLinux();
    cgroupParent(linux.getCgroupParent());
    for (var sysctl : linux.getSysctlsMap().entrySet()) {
      FieldRules.sysctlName(sysctl.getKey());
      // Values are numbers and words; a control character only ever gets EINVAL from the kernel.
      FieldRules.text("sysctl " + sysctl.getKey(), sysctl.getValue(), 4096);
    }
    security(linux.getSecurityContext());
    ResourceRules.validatePod("linux.overhead", linux.getOverhead(), host);
    ResourceRules.validatePod("linux.resources", linux.getResources(), host);
  }

  private static void ports(PortMapping port) {
    if (port.getContainerPort() < 1 || port.getContainerPort() > MAX_PORT) {
      throw new InvalidArgumentException("port_mappings.container_port " + port.getContainerPort()
          + " is not a port (1 to " + MAX_PORT + ")");
    }
    if (port.getHostPort() < 0 || port.getHostPort() > MAX_PORT) {
      throw new InvalidArgumentException("port_mappings.host_port " + port.getHostPort()
          + " is not a port (0 for none, or 1 to " + MAX_PORT + ")");
    }
    if (port.getProtocol() == Protocol.UNRECOGNIZED) {
      throw new InvalidArgumentException("port_mappings.protocol " + port.getProtocolValue()
          + " is none of TCP, UDP and SCTP");
    }
    if (!port.getHostIp().isEmpty()) {
      try {
        InetAddress.ofLiteral(port.getHostIp());
      } catch (IllegalArgumentException e) {
        throw FieldRules.invalid("port_mappings.host_ip", port.getHostIp(), "is not an IP address");
      }
    }
  }

  /**
   * A cgroupfs parent is a path of plain names: '..' would put the pod's cgroup outside the
   * hierarchy the kubelet manages, and runc made every part before refusing a bad one. Slice
   * names under the systemd driver are checked where the driver is known.
   */
  private static void cgroupParent(String parent) {
    FieldRules.text("linux.cgroup_parent", parent, 4096);
    for (String part : parent.split("/")) {
      if (part.equals(".") || part.equals("..") || part.length() > 255) {
        throw FieldRules.invalid("linux.cgroup_parent", parent, "has a '.', '..' or over-long part");
      }
    }
  }

  private static void security(LinuxSandboxSecurityContext security) {
    if (security.hasRunAsUser()) {
      FieldRules.id("security_context.run_as_user", security.getRunAsUser().getValue());
    }
    if (security.hasRunAsGroup()) {
      FieldRules.id("security_context.run_as_group", security.getRunAsGroup().getValue());
    }
    for (long gid : security.getSupplementalGroupsList()) {
      FieldRules.id("security_context.supplemental_groups", gid);
    }
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
      throw new InvalidArgumentException("hostname '" + FieldRules.printable(hostname) + "' is not an RFC 1123 name "
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
        throw FieldRules.invalid("dns_config server", server, "is not an IP address");
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
      throw new InvalidArgumentException("dns_config " + what + " '" + FieldRules.printable(value)
          + "' must be one word of printable characters (no space, tab or newline)");
    }
  }
}
