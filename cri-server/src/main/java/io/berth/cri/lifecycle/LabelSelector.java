package io.berth.cri.lifecycle;

import java.util.Map;

/** The CRI list filters' label selector: every selected label present with the same value. */
public final class LabelSelector {
  private LabelSelector() {}

  public static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    for (var entry : selector.entrySet()) {
      if (!entry.getValue().equals(labels.get(entry.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
