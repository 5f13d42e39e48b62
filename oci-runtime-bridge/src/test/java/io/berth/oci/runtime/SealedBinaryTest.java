package io.berth.oci.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.sys.Errno;
import io.berth.sys.LinuxSyscalls;
import io.berth.sys.RecordingSyscalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime's sealed in-memory copy: same bytes, unwritable, runnable, and renewed when the file changes. */
class SealedBinaryTest {
  @TempDir Path dir;

  private Path script(String body) throws Exception {
    Path file = dir.resolve("tool");
    Files.writeString(file, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  @Test
  void theCopyHasTheFilesBytesAndAllFourSealsAndCannotBeWritten() throws Throwable {
    Path tool = script("echo one");
    String launch = new SealedBinary(tool).launchPath();

    assertThat(launch).startsWith("/proc/" + ProcessHandle.current().pid() + "/fd/");
    assertThat(Files.readAllBytes(Path.of(launch))).isEqualTo(Files.readAllBytes(tool));
    assertThat(SealedBinary.seals(launch)).isEqualTo(SealedBinary.SEALS);
    assertThatThrownBy(() -> Files.writeString(Path.of(launch), "echo evil", StandardOpenOption.WRITE))
        .isInstanceOf(IOException.class);
    assertThat(Files.readAllBytes(Path.of(launch))).isEqualTo(Files.readAllBytes(tool));
  }

  @Test
  void aChildRunsTheCopyUnderTheNameItIsGiven() throws Exception {
    Path tool = script("echo \"$0 ran\"");
    String launch = new SealedBinary(tool).launchPath();

    var process = SpawnedProcess.collect(launch, List.of(tool.toString()), Map.of());
    var output = process.output().get();

    assertThat(output.exitCode()).isZero();
    assertThat(new String(output.stdout(), StandardCharsets.UTF_8)).contains(" ran");
  }

  @Test
  void aChangedFileGetsANewCopyAndAnUnchangedOneKeepsIts() throws Exception {
    Path tool = script("echo one");
    SealedBinary sealed = new SealedBinary(tool);
    String first = sealed.launchPath();
    assertThat(sealed.launchPath()).isEqualTo(first);

    // A package upgrade replaces the file: a new inode.
    Path upgraded = dir.resolve("tool.new");
    Files.writeString(upgraded, "#!/bin/sh\necho two, longer\n");
    Files.move(upgraded, tool, StandardCopyOption.REPLACE_EXISTING);
    String second = sealed.launchPath();

    assertThat(second).isNotEqualTo(first);
    assertThat(Files.readString(Path.of(second))).contains("echo two");
    assertThat(Files.readString(Path.of(first))).contains("echo one"); // still open for a launch in flight
  }

  @Test
  void aCopyThatCannotRunIsNotUsed() throws Exception {
    Path broken = script("exit 3"); // as if the copy could not be executed from /proc
    assertThat(new SealedBinary(broken).launchPath()).isEqualTo(broken.toString());
  }

  @Test
  void withoutMemfdsTheBinaryIsLaunchedFromDisk() throws Exception {
    Path tool = script("echo one");
    var sys = RecordingSyscalls.over(LinuxSyscalls.INSTANCE).failOn("memfdCreate", Errno.ENOSYS);

    assertThat(new SealedBinary(tool, sys).launchPath()).isEqualTo(tool.toString());
    assertThat(sys.names()).containsExactly("memfdCreate");
  }

  @Test
  void aCopyThatCannotBeSealedIsClosedAndNotUsed() throws Exception {
    Path tool = script("echo one");
    var sys = RecordingSyscalls.over(LinuxSyscalls.INSTANCE).failOn("addSeals", Errno.EPERM);

    assertThat(new SealedBinary(tool, sys).launchPath()).isEqualTo(tool.toString());
    assertThat(sys.names()).containsExactly("memfdCreate", "addSeals", "close");
    assertThat(sys.openFds()).as("the unsealed copy is not left open").isEmpty();
  }

  @Test
  void aSealedCopyStaysOpenForLaunches() throws Exception {
    Path tool = script("echo one");
    var sys = RecordingSyscalls.over(LinuxSyscalls.INSTANCE);

    String launch = new SealedBinary(tool, sys).launchPath();

    assertThat(sys.openFds()).hasSize(1);
    var copy = sys.openFds().entrySet().iterator().next();
    assertThat(launch).endsWith("/fd/" + copy.getKey());
    assertThat(copy.getValue()).isEqualTo("memfd tool");
    assertThat(sys.calls("addSeals").getFirst().args()).containsExactly(copy.getKey(), SealedBinary.SEALS);
  }

  @Test
  void aMissingBinaryIsLaunchedByItsOwnPathSoTheLaunchReportsIt() {
    Path missing = dir.resolve("no-such-runtime");
    assertThat(new SealedBinary(missing).launchPath()).isEqualTo(missing.toString());
  }
}
