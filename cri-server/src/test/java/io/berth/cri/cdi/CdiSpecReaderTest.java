package io.berth.cri.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** CDI spec files in JSON and YAML, and the ones the specification refuses. */
class CdiSpecReaderTest {
  static final String YAML = """
      ---
      cdiVersion: "0.6.0"
      kind: example.com/device
      annotations:
        owner: tests
      containerEdits:
        env:
          - EXAMPLE_SPEC=1
      devices:
        - name: null0
          containerEdits:
            deviceNodes:
              - path: /dev/berth-null
                hostPath: /dev/null
                permissions: rw
            mounts:
              - hostPath: /opt/example
                containerPath: /opt/example
                type: bind
                options: [ro, bind]
        - name: "1"
          containerEdits:
            env: [EXAMPLE_ONE=yes]
            hooks:
              - hookName: createContainer
                path: /usr/bin/example-hook
                args: [example-hook, create]
                env: [HOOK=1]
                timeout: 5
            additionalGids: [44]
      """;

  static final String JSON = """
      {"cdiVersion": "0.5.0", "kind": "example.com/device",
       "devices": [{"name": "zero", "containerEdits": {"deviceNodes": [
         {"path": "/dev/berth-zero", "hostPath": "/dev/zero", "type": "c", "major": 1, "minor": 5,
          "fileMode": 438, "uid": 0, "gid": 0}]}}]}
      """;

  @Test
  void yamlSpecIsReadWithEveryKindOfEdit() {
    CdiSpec spec = CdiSpecReader.parse("a.yaml", YAML, false);
    assertThat(spec.kind()).isEqualTo("example.com/device");
    assertThat(spec.containerEdits().env()).containsExactly("EXAMPLE_SPEC=1");
    assertThat(spec.devices()).extracting(CdiSpec.Device::name).containsExactly("null0", "1");
    var nullEdits = spec.devices().getFirst().containerEdits();
    assertThat(nullEdits.deviceNodes()).containsExactly(
        new CdiSpec.DeviceNode("/dev/berth-null", "/dev/null", null, null, null, null, "rw", null, null));
    assertThat(nullEdits.mounts()).containsExactly(
        new CdiSpec.Mount("/opt/example", "/opt/example", "bind", List.of("ro", "bind")));
    var oneEdits = spec.devices().get(1).containerEdits();
    assertThat(oneEdits.hooks()).containsExactly(new CdiSpec.Hook("createContainer", "/usr/bin/example-hook",
        List.of("example-hook", "create"), List.of("HOOK=1"), 5));
    assertThat(oneEdits.additionalGids()).containsExactly(44L);
  }

  @Test
  void jsonSpecIsReadWithNumbersAndMode() {
    CdiSpec spec = CdiSpecReader.parse("b.json", JSON, true);
    assertThat(spec.devices().getFirst().containerEdits().deviceNodes()).containsExactly(
        new CdiSpec.DeviceNode("/dev/berth-zero", "/dev/zero", "c", 1L, 5L, 0666, null, 0L, 0L));
  }

  @Test
  void aYamlFileModeWithALeadingZeroIsOctalAsTheCdiLibraryReadsIt() {
    for (String mode : List.of("0666", "0o666", "438", "0x1b6")) {
      CdiSpec spec = CdiSpecReader.parse("m.yaml", YAML.replace("permissions: rw", "permissions: rw\n"
          + "          fileMode: " + mode), false);
      assertThat(spec.devices().getFirst().containerEdits().deviceNodes().getFirst().fileMode()).as(mode)
          .isEqualTo(0666);
    }
    assertThatThrownBy(() -> CdiSpecReader.parse("m.yaml", YAML.replace("permissions: rw", "permissions: rw\n"
        + "          fileMode: rw-rw-rw-"), false))
        .isInstanceOf(CdiSpecException.class).hasMessageContaining("not a file mode");
  }

  @Test
  void specsTheSpecificationRefusesNameTheFileAndTheReason() {
    assertRefused(YAML.replace("\"0.6.0\"", "\"9.9.9\""), "cdiVersion '9.9.9'");
    assertRefused(YAML.replace("kind: example.com/device", "kind: example.com"), "kind 'example.com'");
    assertRefused(YAML.replace("kind: example.com/device", "kind: example.com/dev@ce"), "class 'dev@ce'");
    assertRefused(YAML.replace("name: \"1\"", "name: null0"), "'null0' is defined twice");
    assertRefused(YAML.replace("name: \"1\"", "name: -bad"), "device name '-bad'");
    assertRefused(YAML.replace("hookName: createContainer", "hookName: afterParty"), "hookName 'afterParty'");
    assertRefused(YAML.replace("permissions: rw", "permissions: rwx"), "permissions 'rwx'");
    assertRefused(YAML.replace("- EXAMPLE_SPEC=1", "- EXAMPLE_SPEC"), "env 'EXAMPLE_SPEC'");
    assertRefused(YAML.replace("containerPath: /opt/example", "containerPath: opt/example"), "not an absolute");
    assertRefused(YAML.replace("    additionalGids: [44]", "    intelRdt: {closID: x}"), "'intelRdt'");
    assertRefused("""
        cdiVersion: "0.6.0"
        kind: example.com/device
        devices: []
        """, "no devices");
    assertRefused("""
        cdiVersion: "0.6.0"
        kind: example.com/device
        devices:
          - name: empty
        """, "device 'empty' has no containerEdits");
    assertRefused("cdiVersion: [unclosed", "malformed YAML");
    assertThatThrownBy(() -> CdiSpecReader.parse("b.json", JSON.replace("}]}}]}", "}]}}]"), true))
        .isInstanceOf(CdiSpecException.class).hasMessageStartingWith("b.json: malformed JSON");
  }

  private static void assertRefused(String yaml, String reason) {
    assertThatThrownBy(() -> CdiSpecReader.parse("a.yaml", yaml, false))
        .isInstanceOf(CdiSpecException.class).hasMessageStartingWith("a.yaml: ").hasMessageContaining(reason);
  }
}
