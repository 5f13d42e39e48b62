package io.berth.oci.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SeccompProfilesTest {
  @Test
  void runtimeDefaultMatchesItsGoldenFile() {
    Golden.assertMatches("seccomp-runtime-default", SeccompProfiles.runtimeDefault());
    Seccomp profile = SeccompProfiles.runtimeDefault();
    assertThat(profile.defaultAction()).isEqualTo("SCMP_ACT_ERRNO");
    assertThat(profile.syscalls().getFirst().names()).contains("read", "write", "execve", "arch_prctl")
        .doesNotContain("mount", "unshare", "setns", "kexec_load", "init_module", "bpf", "ptrace", "clone");
  }

  @Test
  void unconfinedAndPrivilegedHaveNoFilter() {
    assertThat(SeccompProfiles.of(SeccompProfiles.Kind.UNCONFINED, null, false)).isNull();
    assertThat(SeccompProfiles.of(SeccompProfiles.Kind.RUNTIME_DEFAULT, null, true)).isNull();
  }

  @Test
  void aLocalhostProfileIsTheSpecsSectionAsParsed() {
    var profile = SeccompProfiles.parseLocalhost("/p.json", bytes("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}"));
    assertThat(SeccompProfiles.of(SeccompProfiles.Kind.LOCALHOST, profile, false)).isSameAs(profile);
    assertThat(SeccompProfiles.of(SeccompProfiles.Kind.LOCALHOST, profile, true)).isNull();
    assertThatThrownBy(() -> SeccompProfiles.of(SeccompProfiles.Kind.LOCALHOST, null, false))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aFullProfileWithArgumentsPasses() {
    String json = """
        {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
         "architectures": ["SCMP_ARCH_X86_64"], "flags": ["SECCOMP_FILTER_FLAG_LOG"], "comment": "kept",
         "syscalls": [
           {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
           {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 0, "value": 18446744073709551615, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
           {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}
         ]}
        """;
    assertThat(SeccompProfiles.parseLocalhost("/p.json", bytes(json)).get("comment").asString()).isEqualTo("kept");
  }

  @Test
  void badProfilesNameTheFileAndTheProblem() {
    assertRefused("{\"syscalls\":[]}", "seccomp profile /p.json: defaultAction is missing");
    assertRefused("{\"defaultAction\":\"SCMP_ACT_MAYBE\"}", "defaultAction \"SCMP_ACT_MAYBE\" is not one of");
    assertRefused("not json", "seccomp profile /p.json is not valid JSON");
    assertRefused("{\"defaultAction\":\"SCMP_ACT_ALLOW\"} trailing", "is not valid JSON");
    assertRefused("[1, 2]", "seccomp profile /p.json is not a JSON object");
    assertRefused("", "is not a JSON object");
    assertRefused(allow("\"defaultErrnoRet\": -1"), "defaultErrnoRet -1 is not an unsigned integer");
    assertRefused(allow("\"architectures\": \"SCMP_ARCH_X86_64\""), "architectures is not an array");
    assertRefused(allow("\"architectures\": [\"x86_64\"]"), "architectures holds \"x86_64\", not an SCMP_ARCH_");
    assertRefused(allow("\"syscalls\": {}"), "syscalls is not an array");
    assertRefused(allow("\"syscalls\": [1]"), "syscalls[0] is not an object");
    assertRefused(allow("\"syscalls\": [{\"name\": \"read\", \"action\": \"SCMP_ACT_ALLOW\"}]"),
        "syscalls[0].names is missing or empty");
    assertRefused(allow("\"syscalls\": [{\"names\": [\"read\", 3], \"action\": \"SCMP_ACT_ALLOW\"}]"),
        "syscalls[0].names holds 3, not a name");
    assertRefused(allow("\"syscalls\": [{\"names\": [\"read\"]}]"), "syscalls[0].action is missing");
    assertRefused(allow("\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
        + "\"args\": [{\"index\": 6, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]"),
        "syscalls[0].args[0].index 6 is not 0 to 5");
    assertRefused(allow("\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
        + "\"args\": [{\"index\": 0, \"value\": 0, \"op\": \"EQ\"}]}]"),
        "syscalls[0].args[0].op \"EQ\" is not one of");
    assertRefused(allow("\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
        + "\"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]"), "syscalls[0].args[0].value is missing");
    assertRefused("[".repeat(100_000), "is not valid JSON");
  }

  private static String allow(String field) {
    return "{\"defaultAction\": \"SCMP_ACT_ALLOW\", " + field + "}";
  }

  private static void assertRefused(String json, String message) {
    assertThatThrownBy(() -> SeccompProfiles.parseLocalhost("/p.json", bytes(json)))
        .isInstanceOf(SpecException.class).hasMessageContaining(message);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
