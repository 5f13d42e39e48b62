package io.berth.cri.ctl;

import io.berth.cri.client.CriClient;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code berthctl}: a small operator CLI on the CRI client. Commands and flags follow crictl's
 * names so that muscle memory carries over.
 */
@Command(
    name = "berthctl",
    mixinStandardHelpOptions = true,
    description = "Talk to a CRI runtime (berthd by default) over its unix socket.",
    subcommands = {VersionCommand.class, InfoCommand.class, PullCommand.class, ImagesCommand.class,
        InspectImageCommand.class, RemoveImageCommand.class, ImageFsInfoCommand.class,
        PodCommands.RunPod.class, PodCommands.ListPods.class, PodCommands.InspectPod.class, PodCommands.StopPod.class,
        PodCommands.RemovePod.class, ContainerCommands.Create.class, ContainerCommands.Start.class,
        ContainerCommands.ListContainers.class, ContainerCommands.Inspect.class, ContainerCommands.Exec.class,
        ContainerCommands.Attach.class, PortForwardCommand.class,
        ContainerCommands.Stop.class, ContainerCommands.Remove.class, LogsCommand.class, StatsCommand.class,
        DoctorCommand.class})
public final class Berthctl {
  static final String DEFAULT_ENDPOINT = "unix:///run/berth/berth.sock";

  @Option(names = {"-r", "--runtime-endpoint"}, paramLabel = "ENDPOINT",
      description = "Runtime endpoint (default: $CONTAINER_RUNTIME_ENDPOINT or " + DEFAULT_ENDPOINT + ").")
  String runtimeEndpoint;

  @Option(names = {"-i", "--image-endpoint"}, paramLabel = "ENDPOINT",
      description = "Image endpoint (default: $IMAGE_SERVICE_ENDPOINT or the runtime endpoint).")
  String imageEndpoint;

  @Option(names = {"-t", "--timeout"}, paramLabel = "SECONDS", defaultValue = "600",
      description = "Deadline of each call in seconds (default: ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  public static void main(String[] args) {
    CommandLine commandLine = new CommandLine(new Berthctl());
    // As with crictl: everything after the container ID is the command, flags included.
    commandLine.getSubcommands().get("exec").setStopAtPositional(true);
    commandLine.setExecutionExceptionHandler(
        (error, cmd, parsed) -> {
          if (error instanceof StatusRuntimeException e) {
            System.err.println("berthctl: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
            return 1;
          }
          if (error instanceof IllegalArgumentException) {
            System.err.println("berthctl: " + error.getMessage());
            return 2;
          }
          throw error;
        });
    System.exit(commandLine.execute(args));
  }

  String runtimeEndpoint() {
    if (runtimeEndpoint != null) {
      return runtimeEndpoint;
    }
    String fromEnv = System.getenv("CONTAINER_RUNTIME_ENDPOINT");
    return fromEnv != null && !fromEnv.isBlank() ? fromEnv : DEFAULT_ENDPOINT;
  }

  String imageEndpoint() {
    if (imageEndpoint != null) {
      return imageEndpoint;
    }
    String fromEnv = System.getenv("IMAGE_SERVICE_ENDPOINT");
    return fromEnv != null && !fromEnv.isBlank() ? fromEnv : runtimeEndpoint();
  }

  long timeoutMillis() {
    return timeoutSeconds * 1000;
  }

  /** Base of subcommands that talk to the image endpoint. */
  abstract static class ImageCommand implements Callable<Integer> {
    @CommandLine.ParentCommand Berthctl berthctl;

    @Override
    public Integer call() throws Exception {
      try (CriClient client = CriClient.connect(berthctl.imageEndpoint())) {
        return run(client);
      }
    }

    abstract int run(CriClient client) throws Exception;
  }

  /** Base of subcommands that talk to the runtime endpoint. */
  abstract static class RuntimeCommand implements Callable<Integer> {
    @CommandLine.ParentCommand Berthctl berthctl;

    @Override
    public Integer call() throws Exception {
      try (CriClient client = CriClient.connect(berthctl.runtimeEndpoint())) {
        return run(client);
      }
    }

    abstract int run(CriClient client) throws Exception;
  }

  /**
   * Base of {@code rm} and {@code rmp}: the named objects or, with {@code --all}, every one; with
   * {@code --force} each is stopped first, as crictl does (berthd's removal stops it anyway).
   */
  abstract static class RemoveCommand extends RuntimeCommand {
    @CommandLine.Option(names = {"-a", "--all"}, description = "Remove every one.")
    boolean all;

    @CommandLine.Option(names = {"-f", "--force"}, description = "Stop each first (removal stops it anyway).")
    boolean force;

    @CommandLine.Parameters(arity = "0..*", paramLabel = "ID")
    List<String> ids = List.of();

    @Override
    int run(CriClient client) {
      if (!all && ids.isEmpty()) {
        System.err.println("berthctl: name at least one ID, or --all");
        return 2;
      }
      for (String id : all ? every(client) : ids) {
        if (force) {
          stop(client, id);
        }
        remove(client, id);
      }
      return 0;
    }

    abstract List<String> every(CriClient client);

    abstract void stop(CriClient client, String id);

    /** Removes {@code id} and prints what crictl prints for it. */
    abstract void remove(CriClient client, String id);
  }
}
