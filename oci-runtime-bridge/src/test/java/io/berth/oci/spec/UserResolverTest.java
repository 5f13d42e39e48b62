package io.berth.oci.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.oci.spec.UserResolver.Request;
import io.berth.oci.spec.UserResolver.SupplementalGroupsPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class UserResolverTest {
  private static final String PASSWD = """
      root:x:0:0:root:/root:/bin/sh
      nobody:x:65534:65534:nobody:/nonexistent:/bin/false
      berth:x:1000:1000:berth test user:/home/berth:/bin/sh
      """;
  private static final String GROUP = """
      root:x:0:
      wheel:x:10:berth
      audio:x:29:berth,other
      berth:x:1000:
      """;
  private final UserResolver resolver = new UserResolver(PASSWD, GROUP);
  private static final Request NONE = new Request(null, null, null, List.of(), null);

  @Test
  void imageUserInEveryForm() {
    assertThat(resolver.resolve(NONE, "")).isEqualTo(new RuntimeSpec.User(0, 0, List.of(0L)));
    assertThat(resolver.resolve(NONE, "berth")).isEqualTo(new RuntimeSpec.User(1000, 1000, List.of(1000L, 10L, 29L)));
    assertThat(resolver.resolve(NONE, "1000")).isEqualTo(new RuntimeSpec.User(1000, 1000, List.of(1000L, 10L, 29L)));
    assertThat(resolver.resolve(NONE, "1000:29")).isEqualTo(new RuntimeSpec.User(1000, 29, List.of(29L, 10L)));
    assertThat(resolver.resolve(NONE, "berth:wheel")).isEqualTo(new RuntimeSpec.User(1000, 10, List.of(10L, 29L)));
    assertThat(resolver.resolve(NONE, "4242")).as("unknown uid: gid 0")
        .isEqualTo(new RuntimeSpec.User(4242, 0, List.of(0L)));
    assertThatThrownBy(() -> resolver.resolve(NONE, "ghost")).isInstanceOf(SpecException.class)
        .hasMessageContaining("ghost");
    assertThatThrownBy(() -> resolver.resolve(NONE, "berth:ghosts")).isInstanceOf(SpecException.class);
  }

  @Test
  void configOverridesTheImageAndPoliciesDecideTheGroups() {
    assertThat(resolver.resolve(new Request(1000L, null, null, List.of(5000L), null), "root"))
        .isEqualTo(new RuntimeSpec.User(1000, 1000, List.of(1000L, 10L, 29L, 5000L)));
    assertThat(resolver.resolve(new Request(1000L, null, 2000L, List.of(5000L), SupplementalGroupsPolicy.STRICT), ""))
        .isEqualTo(new RuntimeSpec.User(1000, 2000, List.of(2000L, 5000L)));
    assertThat(resolver.resolve(new Request(null, "nobody", null, List.of(), null), ""))
        .isEqualTo(new RuntimeSpec.User(65534, 65534, List.of(65534L)));
    assertThatThrownBy(() -> resolver.resolve(new Request(null, "ghost", null, List.of(), null), ""))
        .isInstanceOf(SpecException.class).hasMessageContaining("run_as_username");
  }

  @Test
  void imagesWithoutPasswdStillRunNumericUsers() {
    UserResolver bare = new UserResolver(null, null);
    assertThat(bare.resolve(NONE, "")).isEqualTo(new RuntimeSpec.User(0, 0, List.of(0L)));
    assertThat(bare.resolve(NONE, "65532:65532")).isEqualTo(new RuntimeSpec.User(65532, 65532, List.of(65532L)));
  }
}
