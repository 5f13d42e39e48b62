package io.berth.cri.streaming;

import java.util.List;

/** What a streaming URL's token stands for: an exec, an attach or a port-forward, validated when it was issued. */
public sealed interface StreamRequest {
  /** The URL path segment ("exec", "attach", "portforward"). */
  String kind();

  /** Which of the standard streams a command session carries, and whether it has a terminal. */
  record Stdio(boolean stdin, boolean stdout, boolean stderr, boolean tty) {}

  /** Runs {@code command} in a running container. */
  record Exec(String containerId, List<String> command, Stdio stdio) implements StreamRequest {
    public Exec {
      command = List.copyOf(command);
    }

    @Override
    public String kind() {
      return "exec";
    }
  }

  /** Connects to a running container's own stdio through its monitor. */
  record Attach(String containerId, Stdio stdio) implements StreamRequest {
    @Override
    public String kind() {
      return "attach";
    }
  }

  /** Forwards connections to ports inside a pod's network namespace; empty {@code ports}: the client names them. */
  record PortForward(String sandboxId, List<Integer> ports) implements StreamRequest {
    public PortForward {
      ports = List.copyOf(ports);
    }

    @Override
    public String kind() {
      return "portforward";
    }
  }
}
