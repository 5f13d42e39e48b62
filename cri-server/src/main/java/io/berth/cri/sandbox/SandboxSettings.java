package io.berth.cri.sandbox;

import io.berth.cri.rules.HostCpus;
import io.berth.oci.spec.CgroupPaths;
import io.berth.oci.spec.ContainerSpecInput;

/**
 * The node-wide settings every new sandbox follows: the cgroup driver, the host's facts (its
 * oom_score_adj and capabilities), whether pods that need no infra process get none, and the
 * CPUs and memory nodes a pod's cpuset may name.
 */
public record SandboxSettings(CgroupPaths.Driver cgroupDriver, ContainerSpecInput.HostFacts host,
    boolean dropInfraContainer, HostCpus cpus) {}
