package io.berth.cri.doctor;

import java.util.Optional;

/**
 * catatonit, the infra process of pods whose containers share a PID namespace (every pod when
 * runtime.drop_infra_container is false): present, and static, because berth copies the binary
 * alone into the infra container's empty rootfs, where no loader or libc exists.
 */
final class CatatonitCheck implements Check {
  private final Host host;
  private final String binary;
  private final boolean everyPodNeedsIt;

  CatatonitCheck(Host host, String binary, boolean dropInfraContainer) {
    this.host = host;
    this.binary = binary;
    this.everyPodNeedsIt = !dropInfraContainer;
  }

  @Override
  public String name() {
    return "catatonit";
  }

  @Override
  public Result run() {
    String who = everyPodNeedsIt ? "no pod can start" : "pods sharing a PID namespace cannot start";
    if (!host.isExecutableFile(binary)) {
      String fix = host.which("catatonit")
          .map(found -> "set runtime.catatonit = \"" + found + "\" (it is on PATH there)")
          .orElse("install catatonit (apt-get install catatonit)");
      return Result.problem(name(), everyPodNeedsIt, "runtime.catatonit = " + binary + " is missing or not "
          + "executable: " + who, fix);
    }
    Optional<ElfFile.Kind> kind = ElfFile.tryRead(host.path(binary));
    if (kind.isPresent() && kind.get().linking() == ElfFile.Linking.DYNAMIC) {
      return Result.problem(name(), everyPodNeedsIt, binary + " is dynamically linked (needs "
          + kind.get().interpreter() + ") but runs alone in the infra rootfs: " + who,
          "install a static catatonit (Debian's catatonit package is static)");
    }
    String version = host.versionOutput(binary).flatMap(VersionOutput::parse)
        .flatMap(VersionOutput::dotted).map(DottedVersion::release).orElse("(version unknown)");
    String linking = kind.map(k -> k.linking() == ElfFile.Linking.STATIC ? ", static" : ", not ELF")
        .orElse("");
    return Result.pass(name(), "catatonit " + version + " at " + binary + linking);
  }
}
