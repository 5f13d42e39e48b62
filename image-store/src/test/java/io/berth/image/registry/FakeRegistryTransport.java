package io.berth.image.registry;

import io.berth.image.ref.Digest;
import io.berth.image.registry.RegistryHosts.Endpoint;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An in-memory registry behind {@link RegistryTransport}, for unit tests without a network or
 * root: serves manifests and blobs per host and repository (Range included), challenges as real
 * registries do (bearer with a token service, or basic), records every request, and lets a test
 * replace the answer at any URL to inject a fault: an error status, a redirect, a wrong,
 * cut-off or stalled body, a refused connection. A route on a registry URL answers only
 * requests that passed the registry's auth, as a real registry's redirect or error would.
 * Thread-safe.
 */
public final class FakeRegistryTransport implements RegistryTransport {
  private static final Pattern API_PATH = Pattern.compile("/v2/(.+)/(manifests|blobs)/([^/]+)");
  private static final Pattern CHALLENGE_SCOPE = Pattern.compile("repository:([^:]+):pull");

  /** One request as the client sent it. */
  public record Request(String method, URI uri, Map<String, String> headers, byte[] body) {
    public Optional<String> header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(Map.Entry::getValue).findFirst();
    }

    public String host() {
      return uri.getAuthority();
    }

    /** scheme://host/path, without the query: what routes are keyed by. */
    public String url() {
      return uri.getScheme() + "://" + uri.getAuthority() + uri.getPath();
    }

    /** The query parameters, or for a form POST the form fields. */
    public Map<String, String> params() {
      String raw = body != null ? new String(body, StandardCharsets.UTF_8) : uri.getRawQuery();
      Map<String, String> params = new LinkedHashMap<>();
      if (raw != null && !raw.isEmpty()) {
        for (String pair : raw.split("&")) {
          int eq = pair.indexOf('=');
          params.put(decode(eq < 0 ? pair : pair.substring(0, eq)), eq < 0 ? "" : decode(pair.substring(eq + 1)));
        }
      }
      return params;
    }

    private static String decode(String s) {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
  }

  /** Answers one request: a response, or a thrown IOException as a broken network would. */
  @FunctionalInterface
  public interface Handler {
    Response answer(Request request) throws IOException;
  }

  /** Who a token was issued to ({@code null}: anonymous) and for which scope. */
  private record Grant(String user, String scope) {}

  private record Stored(String mediaType, byte[] content) {}

  /** How a registry host wants its clients to authenticate. */
  private sealed interface Auth permits Anonymous, Bearer, Basic {}

  private record Anonymous() implements Auth {}

  private record Bearer(String realm, String service) implements Auth {}

  private record Basic() implements Auth {}

  /** What one registry host holds: content by repository and reference, its auth, its private repositories. */
  private static final class Hosted {
    final Map<String, Stored> manifests = new ConcurrentHashMap<>();
    final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    final Set<String> privateRepositories = ConcurrentHashMap.newKeySet();
    volatile Auth auth = new Anonymous();
  }

  private final Map<String, Hosted> registries = new ConcurrentHashMap<>();
  private final Map<String, String> tokenServices = new ConcurrentHashMap<>();
  private final Map<String, String> users = new ConcurrentHashMap<>();
  private final Map<String, String> identityTokens = new ConcurrentHashMap<>();
  private final Map<String, Grant> issuedTokens = new ConcurrentHashMap<>();
  private final Set<String> registryTokens = ConcurrentHashMap.newKeySet();
  private final Map<String, Handler> routes = new ConcurrentHashMap<>();
  private final Map<String, Queue<Handler>> onceRoutes = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger tokenCounter = new AtomicInteger();

  // ---- content

  /** Stores a blob in {@code repository} on {@code host}; returns its digest. */
  public String putBlob(String host, String repository, byte[] content) {
    String digest = Digest.of(content).toString();
    registry(host).blobs.put(repository + "@" + digest, content);
    return digest;
  }

  /** Stores a manifest or index under its digest and, unless null, {@code tag}; returns its digest. */
  public String putManifest(String host, String repository, String tag, String mediaType, byte[] content) {
    String digest = Digest.of(content).toString();
    Hosted registry = registry(host);
    registry.manifests.put(repository + "@" + digest, new Stored(mediaType, content));
    if (tag != null) {
      registry.manifests.put(repository + ":" + tag, new Stored(mediaType, content));
    }
    return digest;
  }

  public static String manifestUrl(String host, String repository, String reference) {
    return "https://" + host + "/v2/" + repository + "/manifests/" + reference;
  }

  public static String blobUrl(String host, String repository, String digest) {
    return "https://" + host + "/v2/" + repository + "/blobs/" + digest;
  }

  // ---- auth

  /** A user known to every token service and basic-auth registry. */
  public void addUser(String user, String password) {
    users.put(user, password);
  }

  /** An identity (OAuth2 refresh) token that token services exchange for {@code user}'s access. */
  public void addIdentityToken(String refreshToken, String user) {
    identityTokens.put(refreshToken, user);
  }

  /** A registry token that every bearer registry accepts as is, for any repository. */
  public void acceptRegistryToken(String token) {
    registryTokens.add(token);
  }

  /** {@code host} wants bearer tokens from the token service at {@code realm}, as Docker Hub does. */
  public void requireBearer(String host, String realm, String service) {
    registry(host).auth = new Bearer(realm, service);
    tokenServices.put(realm, service);
  }

  /** {@code host} wants basic auth of a known user on every request. */
  public void requireBasic(String host) {
    registry(host).auth = new Basic();
  }

  /** Only authenticated users may pull {@code repository}; anonymous tokens do not cover it. */
  public void makePrivate(String host, String repository) {
    registry(host).privateRepositories.add(repository);
  }

  // ---- faults and extra hosts

  /** Answers every request to {@code url} (no query) with {@code handler}, in place of the registry. */
  public void route(String url, Handler handler) {
    routes.put(url, handler);
  }

  /** Answers the next request to {@code url} with {@code handler}; later ones as before. */
  public void routeOnce(String url, Handler handler) {
    onceRoutes.computeIfAbsent(url, k -> new ConcurrentLinkedQueue<>()).add(handler);
  }

  // ---- what was asked

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  public List<Request> requestsTo(String host) {
    return requests.stream().filter(r -> r.host().equals(host)).toList();
  }

  public List<Request> requestsFor(String url) {
    return requests.stream().filter(r -> r.url().equals(url)).toList();
  }

  public void clearRequests() {
    requests.clear();
  }

  // ---- canned answers

  public static Handler ok(byte[] body) {
    return request -> response(200, body, Map.of());
  }

  /** {@code status} with a registry error body ({@code {"errors":[{code,message}]}}). */
  public static Handler error(int status, String code, String message) {
    return request -> response(status, errorBody(code, message), Map.of("Content-Type", "application/json"));
  }

  public static Handler redirect(int status, String location) {
    return request -> response(status, new byte[0], Map.of("Location", location));
  }

  /** 200 with the full length declared, and a body that breaks after {@code bytes} bytes. */
  public static Handler cutAfter(byte[] body, int bytes) {
    return request -> new Response(200, headers(Map.of("Content-Length", String.valueOf(body.length))),
        breakingAfter(body, bytes, () -> new IOException("Connection reset (fake registry)")));
  }

  /** 200, then no byte after {@code bytes}: what HttpTransport's read timeout reports for a stall. */
  public static Handler stallAfter(byte[] body, int bytes) {
    return request -> new Response(200, headers(Map.of("Content-Length", String.valueOf(body.length))),
        breakingAfter(body, bytes, () -> new SocketTimeoutException("Read timed out (fake registry)")));
  }

  public static Handler refused() {
    return request -> {
      throw new ConnectException("Connection refused (fake registry)");
    };
  }

  // ---- the transport

  @Override
  public Response send(Endpoint endpoint, URI uri, String method, Map<String, String> headers, byte[] body)
      throws IOException {
    Request request = new Request(method, uri, Map.copyOf(headers), body);
    requests.add(request);
    Hosted registry = registries.get(request.host());
    boolean tokenService = tokenServices.containsKey(request.url());
    if (registry != null && !tokenService) {
      Response denied = authorize(registry, request);
      if (denied != null) {
        return denied;
      }
    }
    Queue<Handler> once = onceRoutes.get(request.url());
    Handler handler = once == null ? null : once.poll();
    if (handler == null) {
      handler = routes.get(request.url());
    }
    if (handler != null) {
      return headOnly(method, handler.answer(request));
    }
    if (tokenService) {
      return issueToken(request);
    }
    if (registry == null) {
      throw new UnknownHostException(request.host() + " (not served by the fake registry)");
    }
    return headOnly(method, serve(registry, request));
  }

  private Hosted registry(String host) {
    return registries.computeIfAbsent(host, h -> new Hosted());
  }

  /** Null when the request may go on; otherwise the 401 a real registry sends for an API path. */
  private Response authorize(Hosted registry, Request request) {
    Matcher api = API_PATH.matcher(request.uri().getPath());
    if (!api.matches()) {
      return null; // storage behind a redirect is reached by its (signed) URL alone
    }
    String repository = api.group(1);
    String scope = "repository:" + repository + ":pull";
    String authorization = request.header("Authorization").orElse("");
    boolean isPrivate = registry.privateRepositories.contains(repository);
    return switch (registry.auth) {
      case Anonymous() -> null;
      case Basic() -> basicUser(authorization) != null ? null
          : response(401, errorBody("UNAUTHORIZED", "authentication required"),
              Map.of("WWW-Authenticate", "Basic realm=\"fake registry\""));
      case Bearer(String realm, String service) -> {
        String token = authorization.startsWith("Bearer ") ? authorization.substring(7) : null;
        Grant grant = token == null ? null : issuedTokens.get(token);
        boolean covered = grant != null && covers(grant.scope(), repository) && (!isPrivate || grant.user() != null);
        if (covered || (token != null && registryTokens.contains(token))) {
          yield null;
        }
        String challenge = "Bearer realm=\"" + realm + "\",service=\"" + service + "\",scope=\"" + scope + "\""
            + (token == null ? "" : ",error=\"insufficient_scope\"");
        yield response(401, errorBody("UNAUTHORIZED", "authentication required"),
            Map.of("WWW-Authenticate", challenge));
      }
    };
  }

  private static boolean covers(String grantedScope, String repository) {
    for (String part : grantedScope.split(" ")) {
      Matcher m = CHALLENGE_SCOPE.matcher(part);
      if (m.matches() && m.group(1).equals(repository)) {
        return true;
      }
    }
    return false;
  }

  /** The user whose basic credentials are right, or null. */
  private String basicUser(String authorization) {
    if (!authorization.startsWith("Basic ")) {
      return null;
    }
    String decoded = new String(Base64.getDecoder().decode(authorization.substring(6)), StandardCharsets.UTF_8);
    int colon = decoded.indexOf(':');
    String user = colon < 0 ? decoded : decoded.substring(0, colon);
    String password = colon < 0 ? "" : decoded.substring(colon + 1);
    return password.equals(users.get(user)) ? user : null;
  }

  /** A token service: basic credentials or a refresh token in, a token for the asked scope out. */
  private Response issueToken(Request request) {
    Map<String, String> params = request.params();
    String service = tokenServices.get(request.url());
    if (!service.equals(params.get("service"))) {
      return response(400, errorBody("INVALID_REQUEST", "unknown service " + params.get("service")), Map.of());
    }
    String user;
    if (request.method().equals("POST")) {
      user = identityTokens.get(params.getOrDefault("refresh_token", ""));
      if (user == null || !"refresh_token".equals(params.get("grant_type"))) {
        return response(401, errorBody("UNAUTHORIZED", "invalid refresh token"), Map.of());
      }
    } else {
      String authorization = request.header("Authorization").orElse(null);
      user = authorization == null ? null : basicUser(authorization);
      if (authorization != null && user == null) {
        return response(401, errorBody("UNAUTHORIZED", "incorrect username or password"), Map.of());
      }
    }
    String token = "token-" + tokenCounter.incrementAndGet();
    issuedTokens.put(token, new Grant(user, params.getOrDefault("scope", "")));
    byte[] body = ("{\"token\":\"" + token + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8);
    return response(200, body, Map.of("Content-Type", "application/json"));
  }

  private static Response serve(Hosted registry, Request request) {
    Matcher api = API_PATH.matcher(request.uri().getPath());
    if (!api.matches()) {
      return response(404, errorBody("NOT_FOUND", "no route " + request.uri().getPath()), Map.of());
    }
    String repository = api.group(1);
    String reference = api.group(3);
    if (api.group(2).equals("manifests")) {
      String key = repository + (Digest.looksLikeDigest(reference) ? "@" : ":") + reference;
      Stored manifest = registry.manifests.get(key);
      if (manifest == null) {
        return response(404, errorBody("MANIFEST_UNKNOWN", "manifest unknown"), Map.of());
      }
      return response(200, manifest.content(), Map.of("Content-Type", manifest.mediaType(),
          "Docker-Content-Digest", Digest.of(manifest.content()).toString()));
    }
    byte[] blob = registry.blobs.get(repository + "@" + reference);
    if (blob == null) {
      return response(404, errorBody("BLOB_UNKNOWN", "blob unknown to registry"), Map.of());
    }
    String range = request.header("Range").orElse(null);
    if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
      int from = Integer.parseInt(range.substring(6, range.length() - 1));
      byte[] rest = Arrays.copyOfRange(blob, from, blob.length);
      String served = "bytes " + from + "-" + (blob.length - 1) + "/" + blob.length;
      return response(206, rest, Map.of("Content-Range", served));
    }
    return response(200, blob, Map.of());
  }

  private static Response headOnly(String method, Response response) {
    if (!method.equals("HEAD")) {
      return response;
    }
    response.close();
    return new Response(response.status(), response.headers(), new ByteArrayInputStream(new byte[0]));
  }

  private static Response response(int status, byte[] body, Map<String, String> extra) {
    Map<String, String> all = new LinkedHashMap<>(extra);
    all.putIfAbsent("Content-Length", String.valueOf(body.length));
    return new Response(status, headers(all), new ByteArrayInputStream(body));
  }

  private static Map<String, List<String>> headers(Map<String, String> single) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    single.forEach((name, value) -> headers.put(name, List.of(value)));
    return headers;
  }

  private static byte[] errorBody(String code, String message) {
    return ("{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}]}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Serves {@code body} up to byte {@code limit}, then throws what {@code failure} makes. */
  private static InputStream breakingAfter(byte[] body, int limit, IoFailure failure) {
    if (limit >= body.length) {
      throw new IllegalArgumentException("the break must come before the end of the body");
    }
    return new InputStream() {
      private int position;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (position >= limit) {
          throw failure.make();
        }
        int n = Math.min(len, limit - position);
        System.arraycopy(body, position, b, off, n);
        position += n;
        return n;
      }
    };
  }

  /** Makes the IOException a broken body throws. */
  @FunctionalInterface
  private interface IoFailure {
    IOException make();
  }

  /** Every request's method and URL, one per line, for assertion messages. */
  public String describeRequests() {
    List<String> lines = new ArrayList<>();
    requests.forEach(r -> lines.add(r.method() + " " + r.uri()));
    return String.join("\n", lines);
  }
}
