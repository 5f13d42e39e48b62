package io.berth.cri;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No package cycles inside any module (next to the module rule of {@link ModuleDependencyRuleTest}):
 * each module's packages form a layering, e.g. handlers in sandbox and container over lifecycle
 * over pod, network and state, and the composition root on top, used by nobody.
 */
class PackageCycleRuleTest {
  static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.berth");
  }

  @ParameterizedTest
  @ValueSource(strings = {"io.berth.cri", "io.berth.image", "io.berth.snapshot", "io.berth.oci", "io.berth.sys"})
  void packagesOfEachModuleAreFreeOfCycles(String module) {
    slices().matching(module + ".(*)..").should().beFreeOfCycles().allowEmptyShould(true).check(classes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"io.berth.cri"})
  void nothingDependsOnTheCompositionRoot(String module) {
    noClasses().that().resideInAPackage(module + ".*..")
        .should().dependOnClassesThat().resideInAPackage(module)
        .allowEmptyShould(true).check(classes);
  }
}
