package io.berth.cri.lifecycle;

import io.berth.cri.cgroup.PodCgroups;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Pod cgroups for unit tests: records which parents were removed. */
final class FakePodCgroups implements PodCgroups {
  private final List<String> removed = new CopyOnWriteArrayList<>();

  @Override
  public void remove(String parent) {
    removed.add(parent);
  }

  List<String> removed() {
    return List.copyOf(removed);
  }
}
