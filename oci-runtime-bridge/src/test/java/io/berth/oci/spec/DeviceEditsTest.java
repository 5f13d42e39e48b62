package io.berth.oci.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** CDI device edits applied to a built spec: env, device nodes and their cgroup rules, mounts, hooks, groups. */
class DeviceEditsTest {
  private static final DeviceEdits.Node NULL_NODE =
      new DeviceEdits.Node("/dev/berth-null", "c", 1, 3, null, null, null, "rw");

  private static RuntimeSpec build(boolean privileged, DeviceEdits edits) {
    ContainerSpecInput in = SpecBuilderTest.input(privileged, 0);
    return SpecBuilder.build(new ContainerSpecInput(in.containerId(), in.rootfs(), in.image(), in.process(),
        in.security(), in.namespaces(), in.cgroup(), in.mounts(), in.host(), in.annotations(), edits));
  }

  private static DeviceEdits edits(List<String> env, List<DeviceEdits.Node> nodes, List<RuntimeSpec.Mount> mounts,
      List<DeviceEdits.StagedHook> hooks) {
    return new DeviceEdits(env, nodes, mounts, hooks, List.of());
  }

  @Test
  void noEditsLeaveTheSpecAsBuilt() {
    assertThat(build(false, DeviceEdits.NONE)).isEqualTo(SpecBuilder.build(SpecBuilderTest.input(false, 0)));
  }

  @Test
  void envReplacesAVariableOfTheSameNameInPlaceAndAppendsNewOnes() {
    RuntimeSpec spec = build(false, edits(List.of("MODE=device", "VENDOR_VISIBLE=all"), List.of(), List.of(),
        List.of()));
    List<String> env = spec.process().env();
    assertThat(env).contains("MODE=device", "VENDOR_VISIBLE=all").doesNotContain("MODE=test");
    assertThat(env.getLast()).isEqualTo("VENDOR_VISIBLE=all");
    assertThat(env.indexOf("MODE=device")).isLessThan(env.indexOf("VENDOR_VISIBLE=all"));
  }

  @Test
  void aDeviceNodeGetsAnAllowRuleAfterTheDenyAllAndTheContainersUserAsOwner() {
    RuntimeSpec spec = build(false, edits(List.of(), List.of(NULL_NODE,
        new DeviceEdits.Node("/dev/berth-zero", "c", 1, 5, 0640, 0L, 0L, null)), List.of(), List.of()));
    assertThat(spec.linux().devices()).contains(
        new Devices.Node("/dev/berth-null", "c", 1, 3, null, 1000L, 1000L),
        new Devices.Node("/dev/berth-zero", "c", 1, 5, 0640, 0L, 0L));
    List<Devices.Rule> rules = spec.linux().resources().devices();
    assertThat(rules.getFirst()).as("deny all first").isEqualTo(new Devices.Rule(false, null, null, null, "rwm"));
    assertThat(rules).containsSubsequence(
        new Devices.Rule(true, "c", 1L, 3L, "rw"), new Devices.Rule(true, "c", 1L, 5L, "rwm"));
  }

  @Test
  void aDeviceNodeReplacesOneAtTheSamePath() {
    RuntimeSpec spec = build(false, edits(List.of(), List.of(
        new DeviceEdits.Node("/dev/fuse", "c", 1, 7, null, null, null, null)), List.of(), List.of()));
    assertThat(spec.linux().devices()).filteredOn(n -> n.path().equals("/dev/fuse"))
        .extracting(Devices.Node::minor).containsExactly(7L);
  }

  @Test
  void aPrivilegedContainerGetsTheNodeButNoRuleList() {
    RuntimeSpec spec = build(true, edits(List.of(), List.of(NULL_NODE), List.of(), List.of()));
    assertThat(spec.linux().devices()).extracting(Devices.Node::path).containsExactly("/dev/berth-null");
    assertThat(spec.linux().resources().devices()).isNull();
  }

  @Test
  void aFifoGetsNoCgroupRule() {
    RuntimeSpec spec = build(false, edits(List.of(), List.of(
        new DeviceEdits.Node("/dev/berth-fifo", "p", 0, 0, null, null, null, null)), List.of(), List.of()));
    assertThat(spec.linux().resources().devices()).noneMatch(r -> "p".equals(r.type()));
  }

  @Test
  void mountsReplaceOneAtTheSameDestinationAndKeepParentsFirst() {
    var lib = new RuntimeSpec.Mount("/usr/lib/vendor/lib.so", "bind", "/opt/vendor/lib.so", List.of("ro", "bind"));
    var hosts = new RuntimeSpec.Mount("/etc/hosts", "bind", "/opt/vendor/hosts", List.of("ro", "bind"));
    var usr = new RuntimeSpec.Mount("/usr", "bind", "/opt/usr", List.of("rbind"));
    RuntimeSpec spec = build(false, edits(List.of(), List.of(), List.of(lib, hosts, usr), List.of()));
    var destinations = spec.mounts().stream().map(RuntimeSpec.Mount::destination).toList();
    assertThat(spec.mounts()).contains(lib, hosts, usr);
    assertThat(destinations).doesNotHaveDuplicates();
    assertThat(destinations.indexOf("/usr")).isLessThan(destinations.indexOf("/usr/lib/vendor/lib.so"));
    assertThat(destinations.indexOf("/proc")).isLessThan(destinations.indexOf("/dev/pts"));
  }

  @Test
  void hooksGoToTheirStageInOrder() {
    var first = new RuntimeSpec.Hook("/usr/bin/vendor-hook", List.of("vendor-hook", "a"), null, 5);
    var second = new RuntimeSpec.Hook("/usr/bin/vendor-hook", List.of("vendor-hook", "b"), List.of("X=1"), null);
    var stop = new RuntimeSpec.Hook("/usr/bin/vendor-hook", null, null, null);
    RuntimeSpec spec = build(false, edits(List.of(), List.of(), List.of(), List.of(
        new DeviceEdits.StagedHook(DeviceEdits.Stage.CREATE_CONTAINER, first),
        new DeviceEdits.StagedHook(DeviceEdits.Stage.POSTSTOP, stop),
        new DeviceEdits.StagedHook(DeviceEdits.Stage.CREATE_CONTAINER, second))));
    assertThat(spec.hooks().createContainer()).containsExactly(first, second);
    assertThat(spec.hooks().poststop()).containsExactly(stop);
    assertThat(spec.hooks().prestart()).isNull();
    assertThat(SpecJson.write(spec).replaceAll("\\s", ""))
        .contains("\"createContainer\":[{\"path\":\"/usr/bin/vendor-hook\"").doesNotContain("\"prestart\"");
  }

  @Test
  void additionalGroupsAreAddedOnceAndRootIsSkipped() {
    RuntimeSpec spec = build(false, new DeviceEdits(List.of(), List.of(), List.of(), List.of(), List.of(0L, 44L, 10L)));
    assertThat(spec.process().user().additionalGids()).as("the user's own groups (1000, 10) first")
        .containsExactly(1000L, 10L, 44L);
  }

  @Test
  void editsConcatenateInOrder() {
    DeviceEdits a = edits(List.of("A=1"), List.of(NULL_NODE), List.of(), List.of());
    DeviceEdits b = edits(List.of("B=2"), List.of(), List.of(), List.of());
    assertThat(a.plus(b).env()).containsExactly("A=1", "B=2");
    assertThat(a.plus(b).deviceNodes()).containsExactly(NULL_NODE);
  }

  @Test
  void malformedEditsAreRefused() {
    assertThatThrownBy(() -> edits(List.of("NOVALUE"), List.of(), List.of(), List.of()))
        .isInstanceOf(SpecException.class).hasMessageContaining("NOVALUE");
    assertThatThrownBy(() -> edits(List.of(), List.of(new DeviceEdits.Node("dev/x", "c", 1, 3, null, null, null,
        null)), List.of(), List.of())).isInstanceOf(SpecException.class).hasMessageContaining("not absolute");
    assertThatThrownBy(() -> edits(List.of(), List.of(new DeviceEdits.Node("/dev/x", "c", 1, 3, null, null, null,
        "rwx")), List.of(), List.of())).isInstanceOf(SpecException.class).hasMessageContaining("rwx");
  }
}
