package io.berth.cri.doctor;

import java.util.Optional;

/** conmon, the monitor every container runs under: present at runtime.conmon, and a 2.x release. */
final class ConmonCheck implements Check {
  private final Host host;
  private final String binary;

  ConmonCheck(Host host, String binary) {
    this.host = host;
    this.binary = binary;
  }

  @Override
  public String name() {
    return "conmon";
  }

  @Override
  public Result run() {
    if (!host.isExecutableFile(binary)) {
      String fix = host.which("conmon").map(found -> "set runtime.conmon = \"" + found + "\" (it is on PATH there)")
          .orElse("install conmon (apt-get install conmon)");
      return Result.fail(name(), "runtime.conmon = " + binary + " is missing or not executable: no container can "
          + "start", fix);
    }
    Optional<VersionOutput> version = host.versionOutput(binary).flatMap(VersionOutput::parse);
    if (version.isEmpty() || version.get().dotted().isEmpty()) {
      return Result.fail(name(), binary + " --version printed no version: it may not run here",
          "run " + binary + " --version and fix what it reports");
    }
    DottedVersion v = version.get().dotted().get();
    if (v.major() < 2) {
      return Result.warn(name(), "conmon " + v.text() + " at " + binary + " is older than 2.0, the series berth "
          + "runs containers under (Debian 12 ships 2.1.6)", "upgrade conmon to 2.0 or later");
    }
    return Result.pass(name(), "conmon " + v.text() + " at " + binary);
  }
}
