package io.berth.it.harness;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A plain-HTTP proxy on 127.0.0.1 in front of a test registry, usable as a mirror. It records
 * every request and injects faults on chosen paths: a cut connection, flipped bytes, a stall, a
 * trickle, a substitute status and body. Faults match a path substring and fire a set number of times.
 */
public final class RegistryProxy implements AutoCloseable {
  /** What to do to one response. */
  public sealed interface Fault {
    /** Send {@code bytes} of the body, then drop the connection. */
    record Cut(long bytes) implements Fault {}

    /** Send the body with one byte changed. */
    record Corrupt() implements Fault {}

    /** Send {@code bytes} of the body, then go silent for {@code millis}. */
    record Stall(long bytes, long millis) implements Fault {}

    /** Answer with this status, content type and body instead. */
    record Replace(int status, String contentType, byte[] body) implements Fault {}

    /**
     * Send the first {@code slowBytes} of the body {@code chunk} bytes every {@code everyMillis}
     * ms, then the rest at once: a transfer that moves, slowly, for as long as the test wants.
     */
    record Trickle(long slowBytes, int chunk, long everyMillis) implements Fault {}
  }

  private record Rule(String pathPart, Fault fault, int[] remaining) {}

  /** One request as seen by the proxy. */
  public record Seen(String method, String path, String range, String authorization) {}

  /** Token auth the proxy demands, as a registry behind a token service would. */
  private record Bearer(String token, String basicUser, String basicPassword) {}

  private final Registry target;
  private volatile Bearer bearer;
  private volatile String redirectBlobsTo;
  private final HttpServer server;
  private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();

  public RegistryProxy(Registry target) {
    this.target = target;
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", this::handle);
    server.start();
  }

  public String host() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /** Injects {@code fault} into the next {@code times} responses whose path contains {@code pathPart}. */
  public void inject(String pathPart, Fault fault, int times) {
    rules.add(new Rule(pathPart, fault, new int[] {times}));
  }

  public void clearFaults() {
    rules.clear();
  }

  /**
   * Demands {@code Authorization: Bearer TOKEN} on /v2/ requests, answering 401 with a Bearer
   * challenge whose realm is this proxy's {@code /token}; the token service gives the token to
   * requests carrying the given basic credentials (or to anyone when they are null).
   */
  public void requireBearer(String token, String user, String password) {
    bearer = new Bearer(token, user, password);
  }

  /** Answers every blob request with a 307 to {@code baseUrl} + the same path. */
  public void redirectBlobsTo(String baseUrl) {
    redirectBlobsTo = baseUrl;
  }

  private boolean handleBearer(HttpExchange exchange, String path, String authorization) throws IOException {
    Bearer b = bearer;
    if (path.startsWith("/token")) {
      String expected = b.basicUser() == null ? null
          : "Basic " + Base64.getEncoder().encodeToString((b.basicUser() + ":" + b.basicPassword()).getBytes());
      boolean allowed = expected == null || expected.equals(authorization);
      byte[] body = allowed ? ("{\"token\":\"" + b.token() + "\",\"expires_in\":300}").getBytes()
          : "{\"details\":\"bad credentials\"}".getBytes();
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(allowed ? 200 : 401, body.length);
      exchange.getResponseBody().write(body);
      return true;
    }
    if (("Bearer " + b.token()).equals(authorization)) {
      return false; // authorised: forward
    }
    String repository = path.replaceFirst("^/v2/", "").replaceFirst("/(manifests|blobs)/.*$", "");
    exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://" + host() + "/token\",service=\"berth-test\""
        + ",scope=\"repository:" + repository + ":pull\"");
    byte[] body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}".getBytes();
    exchange.sendResponseHeaders(401, body.length);
    exchange.getResponseBody().write(body);
    return true;
  }

  public List<Seen> requests() {
    return List.copyOf(seen);
  }

  public void forgetRequests() {
    seen.clear();
  }

  private Fault faultFor(String path) {
    for (Rule rule : rules) {
      synchronized (rule) {
        if (path.contains(rule.pathPart()) && rule.remaining()[0] > 0) {
          rule.remaining()[0]--;
          return rule.fault();
        }
      }
    }
    return null;
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().toString();
    String range = exchange.getRequestHeaders().getFirst("Range");
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    seen.add(new Seen(exchange.getRequestMethod(), path, range, authorization));
    // Faults are about bodies: a HEAD passes through untouched.
    Fault fault = exchange.getRequestMethod().equals("HEAD") ? null : faultFor(path);
    try (exchange) {
      if (bearer != null && handleBearer(exchange, path, authorization)) {
        return;
      }
      if (redirectBlobsTo != null && path.contains("/blobs/")) {
        exchange.getResponseHeaders().add("Location", redirectBlobsTo + path);
        exchange.sendResponseHeaders(307, -1);
        return;
      }
      if (fault instanceof Fault.Replace replace) {
        exchange.getResponseHeaders().add("Content-Type", replace.contentType());
        exchange.sendResponseHeaders(replace.status(), replace.body().length == 0 ? -1 : replace.body().length);
        if (replace.body().length > 0) {
          exchange.getResponseBody().write(replace.body());
        }
        return;
      }
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(target.baseUrl() + path))
          .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.noBody());
      for (String header : bearer != null ? List.of("Accept", "Range") : List.of("Accept", "Authorization", "Range")) {
        String value = exchange.getRequestHeaders().getFirst(header);
        if (value != null) {
          request.header(header, value);
        }
      }
      HttpResponse<InputStream> response;
      try {
        response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      for (String header : List.of("Content-Type", "Docker-Content-Digest", "WWW-Authenticate", "Location",
          "Content-Range", "Docker-Distribution-Api-Version")) {
        response.headers().firstValue(header).ifPresent(v -> exchange.getResponseHeaders().add(header, v));
      }
      byte[] body;
      try (InputStream in = response.body()) {
        body = in.readAllBytes();
      }
      boolean head = exchange.getRequestMethod().equals("HEAD");
      long declared = head ? -1 : body.length == 0 ? -1 : body.length;
      if (head) {
        response.headers().firstValue("Content-Length")
            .ifPresent(v -> exchange.getResponseHeaders().add("Content-Length", v));
      }
      exchange.sendResponseHeaders(response.statusCode(), declared);
      if (head || body.length == 0) {
        return;
      }
      OutputStream out = exchange.getResponseBody();
      switch (fault) {
        case Fault.Cut cut -> {
          out.write(body, 0, (int) Math.min(cut.bytes(), body.length));
          out.flush();
          throw new IOException("connection cut on purpose");
        }
        case Fault.Corrupt corrupt -> {
          body = body.clone();
          body[body.length / 2] ^= 0x5a;
          out.write(body);
        }
        case Fault.Stall stall -> {
          out.write(body, 0, (int) Math.min(stall.bytes(), body.length));
          out.flush();
          try {
            Thread.sleep(stall.millis());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          throw new IOException("stalled on purpose");
        }
        case Fault.Trickle trickle -> {
          int slow = (int) Math.min(trickle.slowBytes(), body.length);
          for (int sent = 0; sent < slow; sent += trickle.chunk()) {
            out.write(body, sent, Math.min(trickle.chunk(), slow - sent));
            out.flush();
            try {
              Thread.sleep(trickle.everyMillis()); // the slow network this fault stands for
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IOException("trickle interrupted", e);
            }
          }
          out.write(body, slow, body.length - slow);
        }
        case null, default -> out.write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
