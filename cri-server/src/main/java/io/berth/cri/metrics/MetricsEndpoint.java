package io.berth.cri.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The Prometheus scrape endpoint (HTTP, {@code /metrics}); bound to the configured loopback address. */
public final class MetricsEndpoint implements AutoCloseable {
  private final HTTPServer server;

  private MetricsEndpoint(HTTPServer server) {
    this.server = server;
  }

  public static MetricsEndpoint start(CriMetrics metrics, String address, int port) {
    try {
      return new MetricsEndpoint(
          HTTPServer.builder().hostname(address).port(port).registry(metrics.registry()).buildAndStart());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve metrics on " + address + ":" + port + ": " + e.getMessage(), e);
    }
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.close();
  }
}
