package io.berth.cri.cdi;

import io.berth.oci.spec.DeviceEdits;
import java.util.List;

/** Turns requested CDI devices into the edits of a container's spec. */
public interface CdiDevices {
  /**
   * The edits of {@code devices}, in order: each spec's own edits once, before its first device's.
   * NOT_FOUND naming the devices that no spec defines.
   */
  DeviceEdits resolve(List<QualifiedName> devices);
}
