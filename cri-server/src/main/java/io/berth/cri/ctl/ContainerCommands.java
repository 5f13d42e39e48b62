package io.berth.cri.ctl;

import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.AttachRequest;
import io.berth.proto.runtime.v1.Container;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ContainerFilter;
import io.berth.proto.runtime.v1.ContainerState;
import io.berth.proto.runtime.v1.ContainerStateValue;
import io.berth.proto.runtime.v1.ContainerStatusRequest;
import io.berth.proto.runtime.v1.CreateContainerRequest;
import io.berth.proto.runtime.v1.ExecRequest;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.ListContainersRequest;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.RemoveContainerRequest;
import io.berth.proto.runtime.v1.StartContainerRequest;
import io.berth.proto.runtime.v1.StopContainerRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** berthctl's container commands, named and shaped as crictl's: create, start, ps, inspect, exec, stop, rm. */
final class ContainerCommands {
  private ContainerCommands() {}

  @Command(name = "create", description = "Create a container in a pod sandbox from JSON config files.")
  static final class Create extends Berthctl.RuntimeCommand {
    @Parameters(index = "0", paramLabel = "POD_ID")
    String pod;

    @Parameters(index = "1", paramLabel = "CONTAINER_CONFIG")
    Path config;

    @Parameters(index = "2", paramLabel = "POD_CONFIG")
    Path podConfig;

    @Override
    int run(CriClient client) throws IOException {
      var response = client.runtime(berthctl.timeoutMillis()).createContainer(CreateContainerRequest.newBuilder()
          .setPodSandboxId(pod)
          .setConfig(PodCommands.readJson(config, ContainerConfig.newBuilder()))
          .setSandboxConfig(PodCommands.readJson(podConfig, PodSandboxConfig.newBuilder()))
          .build());
      System.out.println(response.getContainerId());
      return 0;
    }
  }

  @Command(name = "start", description = "Start created containers.")
  static final class Start extends Berthctl.RuntimeCommand {
    @Parameters(arity = "1..*", paramLabel = "CONTAINER_ID")
    List<String> ids;

    @Override
    int run(CriClient client) {
      for (String id : ids) {
        client.runtime(berthctl.timeoutMillis()).startContainer(
            StartContainerRequest.newBuilder().setContainerId(id).build());
        System.out.println(id);
      }
      return 0;
    }
  }

  @Command(name = "ps", description = "List containers (running ones unless -a).")
  static final class ListContainers extends Berthctl.RuntimeCommand {
    @Option(names = {"-a", "--all"}, description = "Show containers in every state.")
    boolean all;

    @Option(names = {"-p", "--pod"}, description = "Filter by pod sandbox ID or prefix.")
    String pod = "";

    @Option(names = "--id", description = "Filter by ID or prefix.")
    String id = "";

    @Option(names = "--label", description = "Filter by label KEY=VALUE (repeatable).")
    List<String> labels = List.of();

    @Option(names = {"-q", "--quiet"}, description = "Only show IDs.")
    boolean quiet;

    @Override
    int run(CriClient client) {
      var filter = ContainerFilter.newBuilder().setId(id).setPodSandboxId(pod);
      if (!all) {
        filter.setState(ContainerStateValue.newBuilder().setState(ContainerState.CONTAINER_RUNNING));
      }
      for (String label : labels) {
        String[] kv = label.split("=", 2);
        filter.putLabelSelector(kv[0], kv.length > 1 ? kv[1] : "");
      }
      List<Container> containers = client.runtime(berthctl.timeoutMillis())
          .listContainers(ListContainersRequest.newBuilder().setFilter(filter).build()).getContainersList();
      if (quiet) {
        containers.forEach(c -> System.out.println(c.getId()));
        return 0;
      }
      System.out.printf("%-15s %-15s %-16s %-10s %-25s %-8s %s%n", "CONTAINER", "IMAGE", "CREATED", "STATE", "NAME",
          "ATTEMPT", "POD ID");
      for (Container c : containers) {
        String image = c.getImage().getImage().replaceFirst("^sha256:", "");
        System.out.printf("%-15s %-15s %-16s %-10s %-25s %-8d %s%n", PodCommands.shortId(c.getId()),
            PodCommands.shortId(image), PodCommands.age(c.getCreatedAt()), state(c.getState()),
            c.getMetadata().getName(), c.getMetadata().getAttempt(), PodCommands.shortId(c.getPodSandboxId()));
      }
      return 0;
    }

    private static String state(ContainerState state) {
      return switch (state) {
        case CONTAINER_CREATED -> "Created";
        case CONTAINER_RUNNING -> "Running";
        case CONTAINER_EXITED -> "Exited";
        default -> "Unknown";
      };
    }
  }

  @Command(name = "inspect", description = "Show a container's status and verbose info as JSON.")
  static final class Inspect extends Berthctl.RuntimeCommand {
    @Parameters(index = "0", paramLabel = "CONTAINER_ID")
    String id;

    @Override
    int run(CriClient client) throws IOException {
      var response = client.runtime(berthctl.timeoutMillis()).containerStatus(
          ContainerStatusRequest.newBuilder().setContainerId(id).setVerbose(true).build());
      System.out.println(PodCommands.statusWithInfo(response.getStatus(), response.getInfoMap()));
      return 0;
    }
  }

  @Command(name = "exec", description = "Run a command in a running container: streamed (-i, -t), or --sync.")
  static final class Exec extends Berthctl.RuntimeCommand {
    @Option(names = {"-s", "--sync"}, description = "Run through ExecSync: wait, then print its output.")
    boolean sync;

    @Option(names = {"-i", "--interactive"}, description = "Send this terminal's stdin to the command.")
    boolean interactive;

    @Option(names = {"-t", "--tty"}, description = "Give the command a terminal (stderr joins stdout).")
    boolean tty;

    @Option(names = "--timeout", description = "Seconds before the command is killed (0: none).")
    long timeout;

    @Parameters(index = "0", paramLabel = "CONTAINER_ID")
    String id;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "COMMAND")
    List<String> command;

    @Override
    int run(CriClient client) throws Exception {
      if (!sync) {
        String url = client.runtime(berthctl.timeoutMillis()).exec(ExecRequest.newBuilder().setContainerId(id)
            .addAllCmd(command).setStdin(interactive).setTty(tty).setStdout(true).setStderr(!tty).build()).getUrl();
        return StreamSession.run(url, interactive, tty);
      }
      var response = client.runtime(berthctl.timeoutMillis() + timeout * 1000).execSync(ExecSyncRequest.newBuilder()
          .setContainerId(id).addAllCmd(command).setTimeout(timeout).build());
      System.out.write(response.getStdout().toByteArray());
      System.out.flush();
      System.err.write(response.getStderr().toByteArray());
      System.err.flush();
      return response.getExitCode();
    }
  }

  @Command(name = "attach", description = "Attach to a running container's stdio (its terminal with -t).")
  static final class Attach extends Berthctl.RuntimeCommand {
    @Option(names = {"-i", "--interactive"}, description = "Send this terminal's stdin to the container.")
    boolean interactive;

    @Option(names = {"-t", "--tty"}, description = "The container has a terminal.")
    boolean tty;

    @Parameters(index = "0", paramLabel = "CONTAINER_ID")
    String id;

    @Override
    int run(CriClient client) throws Exception {
      String url = client.runtime(berthctl.timeoutMillis()).attach(AttachRequest.newBuilder().setContainerId(id)
          .setStdin(interactive).setTty(tty).setStdout(true).setStderr(!tty).build()).getUrl();
      return StreamSession.run(url, interactive, tty);
    }
  }

  @Command(name = "stop", description = "Stop running containers.")
  static final class Stop extends Berthctl.RuntimeCommand {
    @Option(names = "--timeout", description = "Seconds to wait after the stop signal before SIGKILL (default 10).")
    long timeout = 10;

    @Parameters(arity = "1..*", paramLabel = "CONTAINER_ID")
    List<String> ids;

    @Override
    int run(CriClient client) {
      for (String id : ids) {
        client.runtime(berthctl.timeoutMillis() + timeout * 1000).stopContainer(
            StopContainerRequest.newBuilder().setContainerId(id).setTimeout(timeout).build());
        System.out.println(id);
      }
      return 0;
    }
  }

  @Command(name = "rm", description = "Remove containers (running ones are killed).")
  static final class Remove extends Berthctl.RemoveCommand {
    @Override
    List<String> every(CriClient client) {
      return client.runtime(berthctl.timeoutMillis()).listContainers(ListContainersRequest.getDefaultInstance())
          .getContainersList().stream().map(Container::getId).toList();
    }

    @Override
    void stop(CriClient client, String id) {
      client.runtime(berthctl.timeoutMillis()).stopContainer(
          StopContainerRequest.newBuilder().setContainerId(id).setTimeout(0).build());
    }

    @Override
    void remove(CriClient client, String id) {
      client.runtime(berthctl.timeoutMillis()).removeContainer(
          RemoveContainerRequest.newBuilder().setContainerId(id).build());
      System.out.println(id);
    }
  }
}
