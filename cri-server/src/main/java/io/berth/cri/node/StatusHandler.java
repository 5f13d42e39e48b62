package io.berth.cri.node;

import io.berth.cri.config.BerthConfig;
import io.berth.cri.network.Condition;
import io.berth.cri.network.PodNetworkSettings;
import io.berth.proto.runtime.v1.RuntimeCondition;
import io.berth.proto.runtime.v1.RuntimeFeatures;
import io.berth.proto.runtime.v1.RuntimeHandler;
import io.berth.proto.runtime.v1.RuntimeHandlerFeatures;
import io.berth.proto.runtime.v1.RuntimeStatus;
import io.berth.proto.runtime.v1.StatusRequest;
import io.berth.proto.runtime.v1.StatusResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Handles Status: the RuntimeReady and NetworkReady conditions, the runtime handlers, and with
 * {@code verbose} the effective configuration as JSON.
 */
public final class StatusHandler {
  private final RuntimeReadiness runtimeReadiness;
  /** NetworkReady, answered from memory (this handler runs on a transport thread). */
  private final Supplier<Condition> networkReadiness;
  private final BerthConfig config;
  private final Supplier<String> configJson;
  private final PodNetworkSettings podNetwork;
  private final BooleanSupplier userNamespaces;
  /**
   * The last plain answer and what it was built from. The kubelet asks every few seconds and the
   * answer rarely changes: the same instance again is also the same bytes on the wire
   * ({@code LastResponseBytes}). The handlers come from the configuration this handler was made
   * with, so the readiness is all that can change.
   */
  private volatile Answered last;

  /** What a plain Status answer depends on besides the configuration. */
  private record Readiness(Condition runtime, Condition network, boolean userNamespaces) {}

  private record Answered(Readiness readiness, StatusResponse response) {}

  public StatusHandler(
      RuntimeReadiness runtimeReadiness,
      Supplier<Condition> networkReadiness,
      BerthConfig config,
      String configJson,
      PodNetworkSettings podNetwork) {
    this(runtimeReadiness, networkReadiness, config, () -> configJson, podNetwork);
  }

  /** As the other, with the configuration's JSON read at each verbose call: a reload may change it. */
  public StatusHandler(
      RuntimeReadiness runtimeReadiness,
      Supplier<Condition> networkReadiness,
      BerthConfig config,
      Supplier<String> configJson,
      PodNetworkSettings podNetwork) {
    this(runtimeReadiness, networkReadiness, config, configJson, podNetwork, () -> false);
  }

  /**
   * As the other; {@code userNamespaces} answers whether pods may have user namespaces of their own,
   * reported as each handler's {@code user_namespaces} feature (berthd makes the namespace and the
   * idmapped mounts, runc and crun only join, so the answer is the host's, the same for every handler).
   */
  public StatusHandler(
      RuntimeReadiness runtimeReadiness,
      Supplier<Condition> networkReadiness,
      BerthConfig config,
      Supplier<String> configJson,
      PodNetworkSettings podNetwork,
      BooleanSupplier userNamespaces) {
    this.userNamespaces = userNamespaces;
    this.runtimeReadiness = runtimeReadiness;
    this.networkReadiness = networkReadiness;
    this.config = config;
    this.configJson = configJson;
    this.podNetwork = podNetwork;
  }

  public StatusResponse handle(StatusRequest request) {
    Readiness now = new Readiness(runtimeReadiness.check(), networkReadiness.get(), userNamespaces.getAsBoolean());
    Answered answered = last;
    if (!request.getVerbose() && answered != null && answered.readiness().equals(now)) {
      return answered.response();
    }
    StatusResponse response = build(now, request.getVerbose());
    if (!request.getVerbose()) {
      last = new Answered(now, response);
    }
    return response;
  }

  private StatusResponse build(Readiness now, boolean verbose) {
    StatusResponse.Builder response =
        StatusResponse.newBuilder()
            .setStatus(
                RuntimeStatus.newBuilder()
                    .addConditions(toProto(now.runtime()))
                    .addConditions(toProto(now.network())))
            .addAllRuntimeHandlers(handlers(now.userNamespaces()))
            .setFeatures(RuntimeFeatures.newBuilder().setSupplementalGroupsPolicy(false));
    if (verbose) {
      response.putInfo("config", configJson.get());
      response.putInfo("podCIDRs", jsonArray(podNetwork.podCidrs()));
    }
    return response.build();
  }

  /** The default handler is listed under the empty name too, as the kubelet looks it up that way. */
  private List<RuntimeHandler> handlers(boolean userNamespaces) {
    RuntimeHandlerFeatures features = RuntimeHandlerFeatures.newBuilder()
        .setUserNamespaces(userNamespaces).build();
    var handlers = new ArrayList<RuntimeHandler>();
    handlers.add(RuntimeHandler.newBuilder().setName("").setFeatures(features).build());
    config.runtime().handlers().keySet().stream()
        .sorted()
        .forEach(name -> handlers.add(RuntimeHandler.newBuilder().setName(name).setFeatures(features).build()));
    return handlers;
  }

  private static RuntimeCondition toProto(Condition condition) {
    return RuntimeCondition.newBuilder()
        .setType(condition.type())
        .setStatus(condition.ready())
        .setReason(condition.reason())
        .setMessage(condition.message())
        .build();
  }

  private static String jsonArray(List<String> values) {
    return values.stream().map(v -> "\"" + v + "\"").collect(Collectors.joining(",", "[", "]"));
  }
}
