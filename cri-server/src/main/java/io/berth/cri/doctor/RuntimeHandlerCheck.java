package io.berth.cri.doctor;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One OCI runtime handler (runtime.handlers.NAME): the binary is there and runs, its version,
 * known-bad versions (unless a Debian backport fixed them), and for crun the hybrid cgroup
 * layout it refuses: crun's cgroup code treats /sys/fs/cgroup on tmpfs with a cgroup2 tree at
 * /sys/fs/cgroup/unified as hybrid and refuses it outright ("cgroups in hybrid mode not
 * supported, drop all controllers from cgroupv2") unless that tree's cgroup.controllers is
 * empty, i.e. unless every controller is bound to a v1 hierarchy. Problems with the default
 * handler fail the node (RuntimeReady is false without it); with another one they are warnings,
 * as only pods of that RuntimeClass suffer.
 */
final class RuntimeHandlerCheck implements Check {
  private final Host host;
  private final String handler;
  private final String binary;
  private final boolean isDefault;
  private final CgroupLayout layout;

  RuntimeHandlerCheck(Host host, String handler, String binary, boolean isDefault, CgroupLayout layout) {
    this.host = host;
    this.handler = handler;
    this.binary = binary;
    this.isDefault = isDefault;
    this.layout = layout;
  }

  @Override
  public String name() {
    return "runtime-" + handler;
  }

  @Override
  public Result run() {
    String key = "runtime.handlers." + handler;
    if (!host.isExecutableFile(binary)) {
      boolean exists = host.exists(binary);
      String fix = exists ? "chmod 755 " + binary
          : host.which(handler).map(found -> "set " + key + " = \"" + found + "\" (it is on PATH there)")
              .orElse("install " + handler + " (apt-get install " + handler + "), or drop " + key);
      return Result.problem(name(), isDefault, key + " = " + binary + (exists ? " is not executable" : " is missing")
          + (isDefault ? " (the default handler: RuntimeReady is false)" : ""), fix);
    }
    Optional<VersionOutput> output = host.versionOutput(binary).flatMap(VersionOutput::parse);
    if (output.isEmpty() || output.get().dotted().isEmpty()) {
      return Result.problem(name(), isDefault, binary + " --version printed no version: it may not run here",
          "run " + binary + " --version and fix what it reports");
    }
    VersionOutput version = output.get();
    DottedVersion dotted = version.dotted().get();
    String program = version.program();
    String what = program + " " + version.version() + " at " + binary;
    List<String> problems = new ArrayList<>();
    List<String> fixes = new ArrayList<>();
    boolean failing = false;
    if (program.equals("crun") && !layout.hybridStrandedControllers().isEmpty()) {
      Set<String> stranded = layout.hybridStrandedControllers();
      String list = String.join(",", stranded);
      problems.add(what + " refuses this hybrid cgroup layout (\"cgroups in hybrid mode not supported, drop all "
          + "controllers from cgroupv2\"): the cgroup2 tree at " + layout.unifiedMount() + " still has "
          + String.join(" ", stranded) + " in cgroup.controllers, which no v1 hierarchy binds; pods of handler '"
          + handler + "' cannot start");
      fixes.add("bind " + list + " in a v1 hierarchy (mount -t cgroup -o " + list + " cgroup /sys/fs/cgroup/" + list
          + ") or boot pure cgroup v2 (systemd.unified_cgroup_hierarchy=1)");
      failing = isDefault;
    }
    List<KnownVulnerabilities.Advisory> advisories = KnownVulnerabilities.affecting(program, dotted);
    Optional<DebianBackports.Fixes> backports = advisories.isEmpty() ? Optional.empty()
        : DebianBackports.of(host, binary, program, dotted);
    Set<String> backported = backports.map(DebianBackports.Fixes::cves).orElse(Set.of());
    List<String> fixedHere = new ArrayList<>();
    String upgrade = null;
    for (KnownVulnerabilities.Advisory advisory : advisories) {
      if (backported.containsAll(advisory.cves())) {
        fixedHere.addAll(advisory.cves());
        continue;
      }
      problems.add((problems.isEmpty() ? what + " is" : "it is") + " vulnerable to "
          + String.join(", ", advisory.cves()) + " (" + advisory.what() + ")");
      upgrade = "upgrade " + program + " to " + advisory.fixedIn() + " or later"; // the last is the newest
    }
    if (upgrade != null) {
      fixes.add(upgrade);
    }
    String packaged = backports.map(b -> " (Debian " + b.packageVersion()
        + (fixedHere.isEmpty() ? "" : ", which backports the fix of " + String.join(", ", fixedHere)) + ")")
        .orElse("");
    if (problems.isEmpty()) {
      return Result.pass(name(), what + packaged);
    }
    if (!packaged.isEmpty() && problems.getFirst().startsWith(what)) {
      problems.set(0, what + packaged + problems.getFirst().substring(what.length()));
    }
    return Result.problem(name(), failing, String.join("; ", problems), String.join("; ", fixes));
  }
}
