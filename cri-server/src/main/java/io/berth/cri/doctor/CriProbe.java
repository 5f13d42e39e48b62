package io.berth.cri.doctor;

import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.RuntimeCondition;
import io.berth.proto.runtime.v1.StatusRequest;
import io.berth.proto.runtime.v1.VersionRequest;
import io.berth.proto.runtime.v1.VersionResponse;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link BerthdProbe} over CRI: a client on the socket, each call with a short deadline so that a
 * hung berthd makes the doctor report it instead of hanging too. Status is asked once and kept,
 * as two checks read its conditions. A gRPC failure is rethrown with its code and cause.
 */
public final class CriProbe implements BerthdProbe, AutoCloseable {
  private final String endpoint;
  private final long timeoutMillis;
  private CriClient client;
  private List<Condition> conditions;

  public CriProbe(String endpoint, long timeoutMillis) {
    this.endpoint = endpoint;
    this.timeoutMillis = timeoutMillis;
  }

  @Override
  public String endpoint() {
    return endpoint;
  }

  @Override
  public Version version() {
    try {
      VersionResponse v = client().runtime(timeoutMillis).version(VersionRequest.newBuilder().setVersion("v1")
          .build());
      return new Version(v.getRuntimeName(), v.getRuntimeVersion(), v.getRuntimeApiVersion());
    } catch (StatusRuntimeException e) {
      throw new IllegalStateException(describe(e), e);
    }
  }

  @Override
  public synchronized List<Condition> conditions() {
    if (conditions == null) {
      try {
        List<Condition> list = new ArrayList<>();
        for (RuntimeCondition c : client().runtime(timeoutMillis).status(StatusRequest.getDefaultInstance())
            .getStatus().getConditionsList()) {
          list.add(new Condition(c.getType(), c.getStatus(), c.getReason(), c.getMessage()));
        }
        conditions = List.copyOf(list);
      } catch (StatusRuntimeException e) {
        throw new IllegalStateException(describe(e), e);
      }
    }
    return conditions;
  }

  private synchronized CriClient client() {
    if (client == null) {
      client = CriClient.connect(endpoint);
    }
    return client;
  }

  private static String describe(StatusRuntimeException e) {
    StringBuilder s = new StringBuilder(e.getStatus().getCode().toString());
    if (e.getStatus().getDescription() != null) {
      s.append(": ").append(e.getStatus().getDescription());
    }
    // The innermost message says what happened ("connect(..) failed: No such file or directory").
    String innermost = null;
    for (Throwable c = e.getStatus().getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      innermost = c.getMessage() != null ? c.getMessage() : c.getClass().getSimpleName(); // FileNotFoundException
    }
    if (innermost != null) {
      s.append(" (").append(innermost).append(')');
    }
    return s.toString();
  }

  @Override
  public synchronized void close() {
    if (client != null) {
      client.close();
    }
  }
}
