package io.berth.cri;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Enforces the module rule of docs/architecture.md: linux-sys (the native calls) uses no other
 * module, snapshotter and oci-runtime-bridge may use linux-sys, image-store may use snapshotter
 * and linux-sys, cri-server may use every other module, and nothing points back. Checked twice:
 * on the declared Maven dependencies and on the compiled classes' package dependencies.
 */
class ModuleDependencyRuleTest {
  private static final Map<String, Set<String>> ALLOWED =
      Map.of(
          "proto", Set.of(),
          "linux-sys", Set.of(),
          "snapshotter", Set.of("linux-sys"),
          "oci-runtime-bridge", Set.of("linux-sys"),
          "image-store", Set.of("snapshotter", "linux-sys"),
          "cri-server", Set.of("proto", "linux-sys", "image-store", "snapshotter", "oci-runtime-bridge"),
          "integration-tests", Set.of("cri-server"));

  private static final Pattern BERTH_DEPENDENCY =
      Pattern.compile("<groupId>io\\.berth</groupId>\\s*<artifactId>([\\w-]+)</artifactId>");

  @Test
  void declaredMavenDependenciesFollowTheRule() throws Exception {
    Path top = Path.of("..").toAbsolutePath().normalize();
    for (var module : ALLOWED.entrySet()) {
      String pom = Files.readString(top.resolve(module.getKey()).resolve("pom.xml"));
      int start = pom.indexOf("<dependencies>");
      String dependencies = start < 0 ? "" : pom.substring(start);
      Set<String> declared = new TreeSet<>();
      Matcher m = BERTH_DEPENDENCY.matcher(dependencies);
      while (m.find()) {
        declared.add(m.group(1));
      }
      assertThat(declared).as("io.berth dependencies of %s", module.getKey()).isSubsetOf(module.getValue());
    }
  }

  @Test
  void compiledClassesFollowTheRule() {
    JavaClasses classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.berth");
    noClasses().that().resideInAPackage("io.berth.sys..")
        .should().dependOnClassesThat().resideInAnyPackage("io.berth.snapshot..", "io.berth.image..", "io.berth.oci..",
            "io.berth.cri..", "io.berth.proto..", "io.grpc..")
        .check(classes);
    noClasses().that().resideInAPackage("io.berth.snapshot..")
        .should().dependOnClassesThat().resideInAnyPackage("io.berth.image..", "io.berth.oci..", "io.berth.cri..",
            "io.berth.proto..", "io.grpc..")
        .allowEmptyShould(true).check(classes);
    noClasses().that().resideInAPackage("io.berth.image..")
        .should().dependOnClassesThat().resideInAnyPackage("io.berth.oci..", "io.berth.cri..", "io.berth.proto..",
            "io.grpc..")
        .allowEmptyShould(true).check(classes);
    noClasses().that().resideInAPackage("io.berth.oci..")
        .should().dependOnClassesThat().resideInAnyPackage("io.berth.image..", "io.berth.snapshot..", "io.berth.cri..",
            "io.berth.proto..", "io.grpc..")
        .allowEmptyShould(true).check(classes);
    noClasses().that().resideInAPackage("io.berth.proto..")
        .should().dependOnClassesThat().resideInAnyPackage("io.berth.image..", "io.berth.snapshot..", "io.berth.oci..",
            "io.berth.cri..", "io.berth.sys..")
        .check(classes);
  }
}
