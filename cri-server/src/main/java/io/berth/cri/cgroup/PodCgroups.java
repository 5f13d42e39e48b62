package io.berth.cri.cgroup;

/**
 * The pod-level cgroups berthd makes itself (the parent of a pod's containers when the kubelet
 * names none). The runtime creates each container's own cgroup and removes it with the
 * container; the pod's parent is berthd's to remove once it is empty.
 */
public interface PodCgroups {
  /** Removes the pod cgroup {@code parent} (e.g. {@code /berth/pod-<id>}) where it is empty; a missing one is fine. */
  void remove(String parent);
}
