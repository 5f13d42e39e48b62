package io.berth.oci.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A finished spec moved into a pod's user namespace: the joined namespace, its maps, the idmapped sources. */
class UserNamespaceSpecTest {
  private static final List<RuntimeSpec.IdMapping> MAP = List.of(new RuntimeSpec.IdMapping(0, 100000, 65536));

  @Test
  void joinsThePinnedNamespaceWithItsMapsAndIdmappedSources() {
    RuntimeSpec spec = SpecBuilder.build(SpecBuilderTest.input(false, 0));
    RuntimeSpec joined = UserNamespaceSpec.join(spec, "/run/berth/netns/pod1.user", MAP,
        List.of(new RuntimeSpec.IdMapping(0, 200000, 65536)), "/run/berth-userns/c0ffee/rootfs",
        (source, index) -> "/idmapped/" + index);
    assertThat(joined.linux().namespaces()).contains(new RuntimeSpec.Namespace("user", "/run/berth/netns/pod1.user"))
        .containsAll(spec.linux().namespaces());
    assertThat(joined.linux().uidMappings()).isEqualTo(MAP);
    assertThat(joined.linux().gidMappings()).containsExactly(new RuntimeSpec.IdMapping(0, 200000, 65536));
    assertThat(joined.root()).isEqualTo(new RuntimeSpec.Root("/run/berth-userns/c0ffee/rootfs", true));
    for (int i = 0; i < spec.mounts().size(); i++) {
      RuntimeSpec.Mount before = spec.mounts().get(i);
      RuntimeSpec.Mount after = joined.mounts().get(i);
      assertThat(after.destination()).isEqualTo(before.destination());
      assertThat(after.options()).isEqualTo(before.options());
      assertThat(after.source()).isEqualTo(before.type().equals("bind") ? "/idmapped/" + i : before.source());
    }
    assertThat(joined.mounts()).anyMatch(m -> m.destination().equals("/etc/hosts")
        && m.source().startsWith("/idmapped/"));
    assertThat(joined.process()).isEqualTo(spec.process());
    // Only what joining changes: the rest of linux is the builder's, with its own golden files.
    Golden.assertMatches("spec-user-namespace",
        List.of(joined.linux().namespaces(), joined.linux().uidMappings(), joined.linux().gidMappings()));
  }

  @Test
  void mapsAreWrittenAsTheOciSpecNamesThem() {
    assertThat(SpecJson.write(MAP.getFirst()).replaceAll("\\s", ""))
        .isEqualTo("{\"containerID\":0,\"hostID\":100000,\"size\":65536}");
    RuntimeSpec host = SpecBuilder.build(SpecBuilderTest.input(false, 0));
    assertThat(SpecJson.write(host.linux())).doesNotContain("uidMappings").doesNotContain("gidMappings");
  }

  @Test
  void aNamespaceWithoutMapsIsRefused() {
    RuntimeSpec spec = SpecBuilder.build(SpecBuilderTest.input(false, 0));
    assertThatThrownBy(() -> UserNamespaceSpec.join(spec, "/p", MAP, List.of(), "/r", (s, i) -> s))
        .isInstanceOf(SpecException.class).hasMessageContaining("gid");
  }
}
