package io.berth.image.pull;

import io.berth.image.ref.Digest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Chain IDs of a layer stack: the first is the first diff ID, then sha256(parent + " " + diffID). */
public final class ChainIds {
  private ChainIds() {}

  public static List<String> of(List<String> diffIds) {
    List<String> chain = new ArrayList<>(diffIds.size());
    String parent = null;
    for (String diffId : diffIds) {
      parent = parent == null ? diffId : Digest.of((parent + " " + diffId).getBytes(StandardCharsets.UTF_8)).toString();
      chain.add(parent);
    }
    return chain;
  }
}
