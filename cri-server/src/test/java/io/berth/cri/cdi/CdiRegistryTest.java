package io.berth.cri.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.error.NotFoundException;
import io.berth.oci.spec.DeviceEdits;
import io.berth.oci.spec.RuntimeSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spec directories: override order, conflicts, broken files, unknown devices, re-reading, host lookups. */
class CdiRegistryTest {
  @TempDir Path dir;
  Path etc;
  Path run;
  final List<Path> looked = new ArrayList<>();
  final Map<String, CdiRegistry.HostDevice> hostDevices = Map.of(
      "/dev/null", new CdiRegistry.HostDevice("c", 1, 3),
      "/dev/zero", new CdiRegistry.HostDevice("c", 1, 5),
      "/dev/loop0", new CdiRegistry.HostDevice("b", 7, 0));
  CdiRegistry registry;

  @BeforeEach
  void dirs() throws IOException {
    etc = Files.createDirectories(dir.resolve("etc/cdi"));
    run = dir.resolve("run/cdi"); // created later by a test, as a driver would at run time
    registry = new CdiRegistry(List.of(etc, run), path -> {
      looked.add(path);
      CdiRegistry.HostDevice found = hostDevices.get(path.toString());
      if (found == null) {
        throw new NoSuchFileException(path.toString());
      }
      return found;
    });
  }

  private static String spec(String kind, String device, String edits) {
    return """
        cdiVersion: "0.6.0"
        kind: %s
        devices:
          - name: "%s"
            containerEdits:
        %s""".formatted(kind, device, edits.indent(6));
  }

  private static List<QualifiedName> names(String... names) {
    return List.of(names).stream().map(QualifiedName::parse).toList();
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }

  @Test
  void aDeviceNodeWithoutTypeTakesTypeAndNumbersFromTheHostDevice() throws IOException {
    write(etc.resolve("a.yaml"), spec("example.com/dev", "null", """
        deviceNodes:
          - path: /dev/berth-null
            hostPath: /dev/null
            permissions: rw"""));
    DeviceEdits edits = registry.resolve(names("example.com/dev=null"));
    assertThat(edits.deviceNodes()).containsExactly(
        new DeviceEdits.Node("/dev/berth-null", "c", 1, 3, null, null, null, "rw"));
    assertThat(looked).containsExactly(Path.of("/dev/null"));
  }

  @Test
  void aNodeWithTypeAndMajorIsTakenAsWrittenAndAHostPathDefaultsToThePath() throws IOException {
    write(etc.resolve("a.json"), """
        {"cdiVersion": "0.3.0", "kind": "example.com/dev", "devices": [
          {"name": "given", "containerEdits": {"deviceNodes": [{"path": "/dev/given", "type": "c", "major": 10,
            "minor": 200}]}},
          {"name": "loop", "containerEdits": {"deviceNodes": [{"path": "/dev/loop0"}]}},
          {"name": "mismatch", "containerEdits": {"deviceNodes": [{"path": "/dev/loop0", "type": "c"}]}},
          {"name": "absent", "containerEdits": {"deviceNodes": [{"path": "/dev/absent"}]}}]}
        """);
    assertThat(registry.resolve(names("example.com/dev=given")).deviceNodes()).containsExactly(
        new DeviceEdits.Node("/dev/given", "c", 10, 200, null, null, null, null));
    assertThat(looked).isEmpty();
    assertThat(registry.resolve(names("example.com/dev=loop")).deviceNodes()).containsExactly(
        new DeviceEdits.Node("/dev/loop0", "b", 7, 0, null, null, null, null));
    assertThatThrownBy(() -> registry.resolve(names("example.com/dev=mismatch")))
        .isInstanceOf(FailedPreconditionException.class).hasMessageContaining("has type c but host device");
    assertThatThrownBy(() -> registry.resolve(names("example.com/dev=absent")))
        .isInstanceOf(FailedPreconditionException.class)
        .hasMessageContaining("example.com/dev=absent").hasMessageContaining("/dev/absent does not exist");
  }

  @Test
  void theSpecsOwnEditsComeOnceBeforeItsFirstDevice() throws IOException {
    write(etc.resolve("a.yaml"), """
        cdiVersion: "0.6.0"
        kind: example.com/dev
        containerEdits:
          env: [SPEC=1]
        devices:
          - name: a
            containerEdits:
              env: [A=1]
              mounts:
                - {hostPath: /opt/a, containerPath: /opt/a, options: [ro, bind]}
          - name: b
            containerEdits:
              env: [B=1]
              hooks:
                - {hookName: poststop, path: /bin/true}
        """);
    DeviceEdits edits = registry.resolve(names("example.com/dev=b", "example.com/dev=a"));
    assertThat(edits.env()).containsExactly("SPEC=1", "B=1", "A=1");
    assertThat(edits.mounts()).containsExactly(new RuntimeSpec.Mount("/opt/a", null, "/opt/a", List.of("ro", "bind")));
    assertThat(edits.hooks()).containsExactly(new DeviceEdits.StagedHook(DeviceEdits.Stage.POSTSTOP,
        new RuntimeSpec.Hook("/bin/true", null, null, null)));
  }

  @Test
  void aLaterDirectoryOverridesAnEarlierOneDeviceByDevice() throws IOException {
    write(etc.resolve("vendor.yaml"), """
        cdiVersion: "0.6.0"
        kind: example.com/dev
        devices:
          - {name: kept, containerEdits: {env: [FROM=etc]}}
          - {name: replaced, containerEdits: {env: [FROM=etc]}}
        """);
    write(run.resolve("vendor.yaml"), spec("example.com/dev", "replaced", "env: [FROM=run]"));
    assertThat(registry.resolve(names("example.com/dev=kept")).env()).containsExactly("FROM=etc");
    assertThat(registry.resolve(names("example.com/dev=replaced")).env()).containsExactly("FROM=run");
    assertThat(registry.devices()).containsExactly("example.com/dev=kept", "example.com/dev=replaced");
  }

  @Test
  void twoFilesOfOneDirectoryDefiningADeviceMakeItUnusableAndSaySo() throws IOException {
    write(etc.resolve("a.yaml"), spec("example.com/dev", "twice", "env: [FROM=a]"));
    write(etc.resolve("b.yaml"), spec("example.com/dev", "twice", "env: [FROM=b]"));
    assertThatThrownBy(() -> registry.resolve(names("example.com/dev=twice")))
        .isInstanceOf(NotFoundException.class).hasMessageContaining("defined by both")
        .hasMessageContaining("a.yaml").hasMessageContaining("b.yaml");
    write(run.resolve("c.yaml"), spec("example.com/dev", "twice", "env: [FROM=run]"));
    assertThat(registry.resolve(names("example.com/dev=twice")).env())
        .as("a later directory settles it").containsExactly("FROM=run");
  }

  @Test
  void aBrokenFileIsSkippedAndTheOthersStillServe() throws IOException {
    write(etc.resolve("good.yaml"), spec("example.com/dev", "good", "env: [GOOD=1]"));
    write(etc.resolve("broken.yaml"), spec("example.com/dev", "lost", "env: [NOT-A-VARIABLE]"));
    write(etc.resolve("garbage.json"), "{not json");
    write(etc.resolve("notes.txt"), "not a spec, not read");
    assertThat(registry.resolve(names("example.com/dev=good")).env()).containsExactly("GOOD=1");
    assertThatThrownBy(() -> registry.resolve(names("example.com/dev=lost")))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("CDI device example.com/dev=lost is not defined by any CDI spec in " + etc + ", " + run)
        .hasMessageContaining("broken.yaml").hasMessageContaining("garbage.json").hasMessageNotContaining("notes.txt");
  }

  @Test
  void fifosDevicesAndOversizedFilesAreSkippedWithoutBlocking() throws Exception {
    write(etc.resolve("good.yaml"), spec("example.com/dev", "good", "env: [GOOD=1]"));
    Process mkfifo = new ProcessBuilder("mkfifo", etc.resolve("fifo.yaml").toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    Files.createSymbolicLink(etc.resolve("zero.json"), Path.of("/dev/zero"));
    write(etc.resolve("huge.yaml"), spec("example.com/dev", "huge", "env: [BIG=1]")
        + "#".repeat(CdiSpecReader.MAX_SPEC_BYTES));
    assertTimeoutPreemptively(Duration.ofSeconds(10), () ->
        assertThat(registry.resolve(names("example.com/dev=good")).env()).containsExactly("GOOD=1"));
    assertThatThrownBy(() -> registry.resolve(names("example.com/dev=huge")))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("fifo.yaml: cannot read: is a FIFO, not a regular file")
        .hasMessageContaining("zero.json: cannot read: leads to /dev/zero, a character device, not a regular file")
        .hasMessageContaining("huge.yaml: cannot read: is larger than 4 MiB");
  }

  @Test
  void unknownDevicesAreNotFoundAllNamed() {
    assertThatThrownBy(() -> registry.resolve(names("example.com/dev=x", "example.com/dev=y")))
        .isInstanceOf(NotFoundException.class)
        .hasMessageStartingWith("CDI devices example.com/dev=x, example.com/dev=y are not defined");
  }

  @Test
  void filesAddedChangedAndRemovedAfterTheFirstReadAreSeenAtTheNextUse() throws IOException {
    assertThat(registry.devices()).isEmpty();
    Path late = run.resolve("late.yaml");
    write(late, spec("example.com/dev", "late", "env: [V=1]"));
    assertThat(registry.resolve(names("example.com/dev=late")).env()).containsExactly("V=1");

    Files.writeString(late, spec("example.com/dev", "late", "env: [V=2]"));
    // Same size, and a clock that may not have ticked: the mtime is set apart explicitly.
    Files.setLastModifiedTime(late, FileTime.from(Instant.now().plusSeconds(5)));
    assertThat(registry.resolve(names("example.com/dev=late")).env()).containsExactly("V=2");

    Files.delete(late);
    assertThatThrownBy(() -> registry.resolve(names("example.com/dev=late"))).isInstanceOf(NotFoundException.class);
  }

  @Test
  void noDeviceAskedReadsNothing() throws IOException {
    write(etc.resolve("broken.yaml"), "::");
    assertThat(registry.resolve(List.of())).isEqualTo(DeviceEdits.NONE);
    assertThat(new CdiRegistry(List.of()).resolve(List.of())).isEqualTo(DeviceEdits.NONE);
    assertThatThrownBy(() -> new CdiRegistry(List.of()).resolve(names("example.com/dev=x")))
        .isInstanceOf(NotFoundException.class).hasMessageContaining("no spec directory configured");
  }

  @Test
  void theRealHostLookupReadsDevNull() throws IOException {
    assertThat(CdiRegistry.hostDevice(Path.of("/dev/null"))).isEqualTo(new CdiRegistry.HostDevice("c", 1, 3));
    Path file = Files.writeString(dir.resolve("plain"), "");
    assertThatThrownBy(() -> CdiRegistry.hostDevice(file)).isInstanceOf(IOException.class)
        .hasMessageContaining("not a device node");
  }
}
