package io.berth.oci.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * Puts a finished spec into a pod's pinned user namespace: the namespace joined by path, its ID
 * maps, the root filesystem and each bind mount's source replaced by the idmapped copies the caller
 * made (runc 1.1.5 and crun 1.8.1 cannot make idmapped mounts themselves). Pure, like {@link SpecBuilder}.
 *
 * <p>The maps are given although the namespace is joined, not created: runc 1.1.5 refuses a spec
 * with a user namespace and no uidMappings ("User namespaces enabled, but no uid mappings found"),
 * uses them to own what it makes (/dev nodes, the console) and writes none when joining; runc 1.2
 * checks that they equal the joined namespace's, which they do.
 */
public final class UserNamespaceSpec {
  private UserNamespaceSpec() {}

  /**
   * {@code spec} joining the user namespace pinned at {@code path} with maps {@code uids} and
   * {@code gids}, its root at {@code rootfs} and every bind mount's source replaced by {@code
   * bindSource} (given the source and the mount's index in the spec's list).
   */
  public static RuntimeSpec join(RuntimeSpec spec, String path, List<RuntimeSpec.IdMapping> uids,
      List<RuntimeSpec.IdMapping> gids, String rootfs, BindSources bindSource) {
    if (uids.isEmpty() || gids.isEmpty()) {
      throw new SpecException("a user namespace needs uid and gid mappings");
    }
    var linux = spec.linux();
    List<RuntimeSpec.Namespace> namespaces = new ArrayList<>(linux.namespaces());
    namespaces.removeIf(n -> n.type().equals("user"));
    namespaces.add(new RuntimeSpec.Namespace("user", path));
    RuntimeSpec.Linux joined = new RuntimeSpec.Linux(namespaces, linux.cgroupsPath(), linux.resources(),
        linux.sysctl(), linux.maskedPaths(), linux.readonlyPaths(), linux.rootfsPropagation(), linux.seccomp(),
        linux.devices(), List.copyOf(uids), List.copyOf(gids));
    List<RuntimeSpec.Mount> mounts = new ArrayList<>();
    List<RuntimeSpec.Mount> original = spec.mounts() == null ? List.of() : spec.mounts();
    for (int i = 0; i < original.size(); i++) {
      RuntimeSpec.Mount mount = original.get(i);
      mounts.add(!mount.type().equals("bind") ? mount
          : new RuntimeSpec.Mount(mount.destination(), mount.type(), bindSource.source(mount.source(), i),
              mount.options()));
    }
    return new RuntimeSpec(spec.ociVersion(), spec.process(), new RuntimeSpec.Root(rootfs, spec.root().readonly()),
        spec.hostname(), mounts, spec.hooks(), joined, spec.annotations());
  }

  /** The source a bind mount gets instead of {@code source}; {@code index} is its place in the spec's mounts. */
  @FunctionalInterface
  public interface BindSources {
    String source(String source, int index);
  }
}
