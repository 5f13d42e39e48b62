package io.berth.oci.spec;

import java.util.List;

/** What an image config says about how to run it (its Docker-capitalised fields, normalised). */
public record ImageRuntimeDefaults(String user, List<String> env, List<String> entrypoint, List<String> cmd,
    String workingDir) {
  public ImageRuntimeDefaults {
    user = user == null ? "" : user;
    env = env == null ? List.of() : List.copyOf(env);
    entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
    cmd = cmd == null ? List.of() : List.copyOf(cmd);
    workingDir = workingDir == null ? "" : workingDir;
  }
}
