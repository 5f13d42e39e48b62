package io.berth.oci.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds a container's runtime spec from a {@link ContainerSpecInput}. Pure: no file is read and
 * nothing on the host changes, so every concern is tested on its own (golden files).
 */
public final class SpecBuilder {
  private SpecBuilder() {}

  public static RuntimeSpec build(ContainerSpecInput in) {
    var process = in.process();
    var security = in.security();
    RuntimeSpec.User user = new UserResolver(process.passwdFile(), process.groupFile())
        .resolve(process.user(), in.image().user());
    String cwd = !process.workingDir().isEmpty() ? process.workingDir()
        : !in.image().workingDir().isEmpty() ? in.image().workingDir() : "/";
    RuntimeSpec.Process proc = new RuntimeSpec.Process(
        process.tty(),
        user,
        ProcessArgs.of(process.command(), process.args(), in.image()),
        Environment.merge(in.image().env(), process.env(), in.namespaces().hostname()),
        cwd,
        CapabilitySets.restrict(
            CapabilitySets.of(security.privileged(), security.capAdd(), security.capDrop(), user.uid() == 0),
            in.host().capabilityBounding()),
        // No rlimits: the container inherits the daemon's. Raising RLIMIT_NOFILE beyond them needs
        // CAP_SYS_RESOURCE, which these machines do not grant, and runc then fails the container.
        null,
        security.noNewPrivileges(),
        OomScoreAdj.of(process.oomScoreAdj(), in.host().daemonOomScoreAdj(), in.host().canLowerOomScoreAdj()));
    List<String> masked = security.privileged() ? List.of()
        : security.maskedPaths() != null ? security.maskedPaths() : Mounts.MASKED_PATHS;
    List<String> readonly = security.privileged() ? List.of()
        : security.readonlyPaths() != null ? security.readonlyPaths() : Mounts.READONLY_PATHS;
    var ns = in.namespaces();
    // Privileged containers see the host's devices through the runtime; others only what is listed.
    Devices.Result devices = Devices.of(security.privileged() ? List.of() : security.devices());
    RuntimeSpec.Resources resources = in.cgroup().resources() == null
        ? new RuntimeSpec.Resources(null, null, null, null, null, null)
        : in.cgroup().resources();
    List<RuntimeSpec.Namespace> namespaces = new ArrayList<>(Namespaces.of(ns.network(), ns.ipc(), ns.pid(),
        ns.paths()));
    if (in.host().unifiedCgroups() && !security.privileged()) {
      // On cgroup v2 each unprivileged container gets a cgroup namespace (the cgroup v2 KEP, as with
      // containerd and CRI-O): it sees its own cgroup as /, not the node's tree; a privileged node
      // agent keeps the host's view.
      namespaces.add(new RuntimeSpec.Namespace("cgroup", null));
    }
    RuntimeSpec.Linux linux = new RuntimeSpec.Linux(
        namespaces,
        CgroupPaths.of(in.cgroup().driver(), in.cgroup().parent(), in.containerId()),
        security.privileged() ? resources : resources.withDevices(devices.rules()),
        Sysctls.validate(security.sysctls(), ns.network() != Namespaces.Mode.NODE, ns.ipc() != Namespaces.Mode.NODE),
        masked,
        readonly,
        Mounts.rootfsPropagation(in.mounts().binds()),
        SeccompProfiles.of(security.seccomp(), security.seccompProfile(), security.privileged()),
        devices.nodes());
    var mounts = in.mounts();
    RuntimeSpec spec = new RuntimeSpec(
        RuntimeSpec.OCI_VERSION,
        proc,
        new RuntimeSpec.Root(in.rootfs(), security.readOnlyRootfs()),
        ns.network() == Namespaces.Mode.NODE ? null : ns.hostname(),
        Mounts.of(security.privileged(), mounts.sandbox(), mounts.terminationMessageHost(),
            mounts.terminationMessagePath(), mounts.binds()),
        linux,
        in.annotations());
    // CDI devices last, as containerd and CRI-O inject them into an otherwise finished spec.
    return in.deviceEdits() == null ? spec : in.deviceEdits().applyTo(spec);
  }
}
