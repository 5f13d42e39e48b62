package io.berth.oci.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * The container's argv by the Kubernetes rules: a command given in the pod replaces the image's
 * Entrypoint and drops its Cmd; args given in the pod replace the image's Cmd; with neither,
 * Entrypoint followed by Cmd.
 */
public final class ProcessArgs {
  private ProcessArgs() {}

  public static List<String> of(List<String> command, List<String> args, ImageRuntimeDefaults image) {
    List<String> entry = command;
    List<String> rest = args;
    if (command.isEmpty()) {
      entry = image.entrypoint();
      if (args.isEmpty()) {
        rest = image.cmd();
      }
    }
    List<String> argv = new ArrayList<>(entry);
    argv.addAll(rest);
    if (argv.isEmpty()) {
      throw new SpecException("no command: neither the container config nor the image gives one");
    }
    return argv;
  }
}
