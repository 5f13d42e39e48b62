package io.berth.cri.lifecycle;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.oci.runtime.ContainerRuntime;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.SandboxRecord;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The configured runtime handlers (RuntimeClass names), each a {@link ContainerRuntime}; the
 * empty name means the default handler. A record names the handler it was made with.
 */
public final class RuntimeHandlers {
  private final Map<String, ContainerRuntime> handlers;
  private final String defaultHandler;

  public RuntimeHandlers(Map<String, ContainerRuntime> handlers, String defaultHandler) {
    this.handlers = new LinkedHashMap<>(handlers);
    this.defaultHandler = defaultHandler;
  }

  /** The handler's canonical name: the request's, or the default for an empty one. */
  /** Each handler's {@link ContainerRuntime#removeCrashLeftovers}: once at start, before recovery. */
  public void removeCrashLeftovers() {
    handlers.values().forEach(ContainerRuntime::removeCrashLeftovers);
  }

  public String canonical(String requested) {
    String name = requested == null || requested.isEmpty() ? defaultHandler : requested;
    if (!handlers.containsKey(name)) {
      throw new InvalidArgumentException("runtime handler '" + name + "' is not configured (configured: "
          + handlers.keySet() + ")");
    }
    return name;
  }

  public ContainerRuntime get(String name) {
    return handlers.get(canonical(name));
  }

  /** The runtime the container was created with. */
  public ContainerRuntime of(ContainerRecord container) {
    return get(container.getRuntimeHandler());
  }

  /** The runtime the sandbox (its infra container) was created with. */
  public ContainerRuntime of(SandboxRecord sandbox) {
    return get(sandbox.getRuntimeHandler());
  }
}
