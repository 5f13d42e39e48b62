package io.berth.image.registry;

import io.berth.image.ImageException;
import io.berth.image.oci.Descriptor;
import io.berth.image.oci.MediaTypes;
import io.berth.image.ref.Digest;
import io.berth.image.ref.ImageReference;
import io.berth.image.registry.RegistryHosts.Endpoint;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * A client of the OCI distribution API on {@code java.net.http}: manifests (GET, HEAD) and blobs
 * (streamed, resumable with Range), mirrors tried in order before the upstream, bearer-token and
 * basic auth with a token cache per registry and scope, redirects followed by hand (dropping
 * the Authorization header when the host changes), and registry error bodies turned into
 * precise messages. Thread-safe.
 */
public final class RegistryClient implements AutoCloseable {
  /** Manifests larger than this are refused: no real one comes close. */
  public static final int MAX_MANIFEST_BYTES = 4 << 20;
  private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  static {
    // java.net.http reads bodies in 16 KiB buffers by default; 256 KiB measured a third faster
    // on large layers (make bench). Read once, when the HTTP client classes first load.
    if (System.getProperty("jdk.httpclient.bufsize") == null) {
      System.setProperty("jdk.httpclient.bufsize", Integer.toString(256 * 1024));
    }
  }

  private final RegistryHosts hosts;
  private final Duration connectTimeout;
  private final Duration stallTimeout;
  private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();
  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  private final Map<String, Boolean> basicHosts = new ConcurrentHashMap<>();
  private final ScheduledExecutorService watchdog =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("registry-stall-watchdog").factory());

  /** A manifest or index as served, with the digest of its exact bytes. */
  public record FetchedManifest(byte[] content, String mediaType, Digest digest, Endpoint endpoint) {}

  /**
   * Receives a blob body starting at byte {@code start}: the offset asked for, or 0 when the
   * server ignored the Range request and sends the whole blob.
   */
  @FunctionalInterface
  public interface BlobSink {
    void accept(InputStream body, long start) throws IOException;
  }

  private record Token(String value, long expiresAtNanos) {}

  public RegistryClient(RegistryHosts hosts, Duration connectTimeout, Duration stallTimeout) {
    this.hosts = hosts;
    this.connectTimeout = connectTimeout;
    this.stallTimeout = stallTimeout;
  }

  public RegistryHosts hosts() {
    return hosts;
  }

  /** Builds the default HTTP client now (TLS set-up takes a while) rather than on the first pull. */
  public void prepareClients() {
    client(new Endpoint(java.net.URI.create("https://localhost"), false, false, null));
  }

  /** GETs a manifest or index by tag or digest, trying mirrors first. */
  public FetchedManifest manifest(ImageReference ref, String reference, Credentials credentials) {
    ImageException reported = null;
    for (Endpoint endpoint : hosts.endpointsFor(ref.domain())) {
      try {
        return manifestFrom(endpoint, ref, reference, credentials);
      } catch (ImageException.NotFound | ImageException.Unavailable | ImageException.Unauthenticated e) {
        if (endpoint.mirror()) {
          log.info("registry mirror failed, trying next mirror={} image={} error={}", endpoint.base(), ref, e.getMessage());
        }
        reported = moreTelling(reported, e);
      }
    }
    throw reported;
  }

  /**
   * Of two failures from different endpoints, the one to report: a definite answer (not found,
   * access denied) says more than an unreachable host, and the earlier endpoint wins a tie.
   */
  private static ImageException moreTelling(ImageException earlier, ImageException later) {
    if (earlier == null) {
      return later;
    }
    return earlier instanceof ImageException.Unavailable && !(later instanceof ImageException.Unavailable) ? later : earlier;
  }

  private FetchedManifest manifestFrom(Endpoint endpoint, ImageReference ref, String reference, Credentials credentials) {
    String path = "/v2/" + ref.path() + "/manifests/" + reference;
    try (Exchange exchange = send(endpoint, "GET", path, Map.of("Accept", MediaTypes.MANIFEST_ACCEPT), ref, credentials)) {
      HttpResponse<InputStream> response = exchange.response;
      requireOk(response, endpoint, "manifest " + ref.repository() + ":" + reference);
      long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (declared > MAX_MANIFEST_BYTES) {
        throw tooBig(ref, reference, declared);
      }
      byte[] content = response.body().readNBytes(MAX_MANIFEST_BYTES + 1);
      if (content.length > MAX_MANIFEST_BYTES) {
        throw tooBig(ref, reference, content.length);
      }
      String mediaType = response.headers().firstValue("Content-Type").map(t -> t.split(";")[0].strip()).orElse("");
      Digest digest = Digest.of(content);
      if (Digest.looksLikeDigest(reference) && !digest.toString().equals(reference)) {
        throw new ImageException.InvalidContent(
            "manifest " + ref.repository() + "@" + reference + " from " + endpoint.host() + " has digest " + digest);
      }
      return new FetchedManifest(content, mediaType, digest, endpoint);
    } catch (IOException e) {
      throw unavailable(endpoint, "reading manifest of " + ref, e);
    }
  }

  private static ImageException tooBig(ImageReference ref, String reference, long size) {
    return new ImageException.InvalidContent("manifest " + ref.repository() + ":" + reference + " is " + size
        + " bytes, over the " + MAX_MANIFEST_BYTES + "-byte limit");
  }

  /**
   * Streams blob {@code descriptor} from byte {@code offset} into {@code sink}, from {@code
   * preferred} (the endpoint that served the manifest) or, failing that, the other endpoints.
   * A stall of {@code stallTimeout} without a byte aborts the transfer.
   */
  public void blob(ImageReference ref, Endpoint preferred, Descriptor descriptor, long offset, Credentials credentials,
      BlobSink sink) {
    List<Endpoint> order = new ArrayList<>();
    order.add(preferred);
    hosts.endpointsFor(ref.domain()).stream().filter(e -> !e.equals(preferred)).forEach(order::add);
    ImageException reported = null;
    boolean[] started = {false};
    BlobSink tracked = (body, start) -> {
      started[0] = true;
      sink.accept(body, start);
    };
    for (Endpoint endpoint : order) {
      try {
        blobFrom(endpoint, ref, descriptor, offset, credentials, tracked);
        return;
      } catch (ImageException.NotFound | ImageException.Unauthenticated e) {
        reported = moreTelling(reported, e); // another endpoint may have it
      } catch (ImageException.Unavailable e) {
        if (started[0]) {
          throw e; // bytes were written: the caller resumes from where they stopped
        }
        reported = moreTelling(reported, e);
      }
    }
    throw reported;
  }

  private void blobFrom(Endpoint endpoint, ImageReference ref, Descriptor descriptor, long offset, Credentials credentials,
      BlobSink sink) {
    String what = "blob " + descriptor.digest() + " of " + ref.repository();
    Map<String, String> headers = offset > 0 ? Map.of("Range", "bytes=" + offset + "-") : Map.of();
    try (Exchange exchange = send(endpoint, "GET", "/v2/" + ref.path() + "/blobs/" + descriptor.digest(), headers, ref,
        credentials)) {
      HttpResponse<InputStream> response = exchange.response;
      requireOk(response, endpoint, what);
      long start = offset > 0 && response.statusCode() == 206 ? offset : 0;
      StallGuard guarded = new StallGuard(response.body());
      var check = watchdog.scheduleWithFixedDelay(guarded::checkStall, 1, 1, TimeUnit.SECONDS);
      try {
        sink.accept(guarded, start);
      } catch (IOException e) {
        if (guarded.stalled) {
          throw new ImageException.Unavailable(what + ": no data from " + endpoint.host() + " for "
              + stallTimeout.toSeconds() + " s, transfer abandoned", e);
        }
        throw e;
      } finally {
        check.cancel(false);
      }
    } catch (IOException e) {
      throw unavailable(endpoint, what, e);
    }
  }

  /** An HTTP exchange whose body must be closed. */
  private static final class Exchange implements AutoCloseable {
    final HttpResponse<InputStream> response;

    Exchange(HttpResponse<InputStream> response) {
      this.response = response;
    }

    @Override
    public void close() {
      try {
        response.body().close();
      } catch (IOException ignored) {
        // closing an aborted stream
      }
    }
  }

  private Exchange send(Endpoint endpoint, String method, String path, Map<String, String> headers, ImageReference ref,
      Credentials requestCredentials) throws IOException {
    Credentials credentials = requestCredentials.isEmpty() ? hosts.credentialsFor(endpoint.host()) : requestCredentials;
    String scope = "repository:" + ref.path() + ":pull";
    String authorization = cachedAuthorization(endpoint, scope, credentials);
    HttpResponse<InputStream> response = exchange(endpoint, method, path, headers, authorization);
    if (response.statusCode() != 401) {
      return new Exchange(response);
    }
    String challenge = response.headers().firstValue("WWW-Authenticate").orElse("");
    String refused = errorText(response);
    if (challenge.regionMatches(true, 0, "Bearer", 0, 6)) {
      authorization = "Bearer " + fetchToken(endpoint, challenge, scope, credentials);
    } else if (challenge.regionMatches(true, 0, "Basic", 0, 5)) {
      if (!credentials.hasBasic()) {
        throw new ImageException.Unauthenticated(
            "registry " + endpoint.host() + " requires credentials for " + ref.repository() + " and none were given"
                + (refused.isEmpty() ? "" : ": " + refused));
      }
      authorization = credentials.basicHeader();
      basicHosts.put(endpoint.host(), true);
    } else {
      throw new ImageException.Unauthenticated("registry " + endpoint.host() + " refused access to " + ref.repository()
          + (refused.isEmpty() ? "" : ": " + refused));
    }
    response = exchange(endpoint, method, path, headers, authorization);
    if (response.statusCode() == 401 || response.statusCode() == 403) {
      String text = errorText(response);
      tokens.remove(tokenKey(endpoint, scope, credentials));
      throw new ImageException.Unauthenticated("registry " + endpoint.host() + " refused "
          + (credentials.isEmpty() ? "anonymous access" : "the credentials of " + credentials) + " for "
          + ref.repository() + (text.isEmpty() ? "" : ": " + text));
    }
    return new Exchange(response);
  }

  private String cachedAuthorization(Endpoint endpoint, String scope, Credentials credentials) {
    Token token = tokens.get(tokenKey(endpoint, scope, credentials));
    if (token != null && token.expiresAtNanos() > System.nanoTime()) {
      return "Bearer " + token.value();
    }
    if (credentials.hasBasic() && basicHosts.containsKey(endpoint.host())) {
      return credentials.basicHeader();
    }
    return null;
  }

  private static String tokenKey(Endpoint endpoint, String scope, Credentials credentials) {
    return endpoint.host() + "|" + scope + "|" + credentials.username() + "|" + (credentials.registryToken() != null);
  }

  private String fetchToken(Endpoint endpoint, String challenge, String scope, Credentials credentials) throws IOException {
    if (credentials.registryToken() != null) {
      return credentials.registryToken();
    }
    Map<String, String> params = new LinkedHashMap<>();
    Matcher m = CHALLENGE_PARAM.matcher(challenge);
    while (m.find()) {
      params.put(m.group(1).toLowerCase(), m.group(2));
    }
    String realm = params.get("realm");
    if (realm == null) {
      throw new ImageException.Unauthenticated("registry " + endpoint.host() + " sent a bearer challenge without a realm");
    }
    String tokenScope = params.getOrDefault("scope", scope);
    StringBuilder query = new StringBuilder();
    if (params.containsKey("service")) {
      query.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8));
    }
    query.append(query.isEmpty() ? "" : "&").append("scope=").append(URLEncoder.encode(tokenScope, StandardCharsets.UTF_8));
    HttpRequest.Builder request;
    if (credentials.identityToken() != null) {
      String form = query + "&grant_type=refresh_token&client_id=berth&refresh_token="
          + URLEncoder.encode(credentials.identityToken(), StandardCharsets.UTF_8);
      request = HttpRequest.newBuilder(URI.create(realm)).header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString(form));
    } else {
      request = HttpRequest.newBuilder(URI.create(realm + (realm.contains("?") ? "&" : "?") + query)).GET();
      if (credentials.hasBasic()) {
        request.header("Authorization", credentials.basicHeader());
      }
    }
    HttpResponse<byte[]> response;
    try {
      response = client(endpoint).send(request.timeout(connectTimeout.plusSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ImageException.Unavailable("interrupted fetching a token from " + realm, e);
    }
    if (response.statusCode() == 401 || response.statusCode() == 403) {
      throw new ImageException.Unauthenticated("token service " + realm + " refused " + credentials
          + " for " + tokenScope + ": HTTP " + response.statusCode());
    }
    if (response.statusCode() != 200) {
      throw new ImageException.Unavailable("token service " + realm + " answered HTTP " + response.statusCode(), null);
    }
    JsonNode body = JSON.readTree(response.body());
    String token = body.has("token") ? body.get("token").asString()
        : body.has("access_token") ? body.get("access_token").asString() : null;
    if (token == null || token.isEmpty()) {
      throw new ImageException.Unauthenticated("token service " + realm + " returned no token");
    }
    long expiresIn = body.has("expires_in") ? Math.max(10, body.get("expires_in").asLong()) : 60;
    // Renew a little early so that a token never expires in the middle of a request.
    tokens.put(tokenKey(endpoint, scope, credentials),
        new Token(token, System.nanoTime() + TimeUnit.SECONDS.toNanos(expiresIn - 5)));
    return token;
  }

  /** One request, following redirects by hand; Authorization goes only to the original host. */
  private HttpResponse<InputStream> exchange(Endpoint endpoint, String method, String path, Map<String, String> headers,
      String authorization) throws IOException {
    URI uri = URI.create(endpoint.base() + path);
    String originalHost = uri.getAuthority();
    for (int hop = 0; hop < 6; hop++) {
      HttpRequest.Builder request = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody());
      headers.forEach(request::header);
      if (authorization != null && originalHost.equals(uri.getAuthority())) {
        request.header("Authorization", authorization);
      }
      HttpResponse<InputStream> response;
      try {
        response = client(endpoint).send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ImageException.Unavailable("interrupted talking to " + endpoint.host(), e);
      } catch (IOException | UnresolvedAddressException e) {
        throw unavailable(endpoint, method + " " + path, e);
      }
      int status = response.statusCode();
      if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
        String location = response.headers().firstValue("Location").orElse(null);
        response.body().close();
        if (location == null) {
          throw new ImageException.Unavailable(endpoint.host() + " redirected " + path + " without a Location", null);
        }
        uri = uri.resolve(location);
        continue;
      }
      return response;
    }
    throw new ImageException.Unavailable(endpoint.host() + " redirected " + path + " too many times", null);
  }

  private void requireOk(HttpResponse<InputStream> response, Endpoint endpoint, String what) {
    int status = response.statusCode();
    if (status == 200 || status == 206) {
      return;
    }
    String text = errorText(response);
    String detail = " (" + endpoint.host() + " answered HTTP " + status + (text.isEmpty() ? "" : ": " + text) + ")";
    switch (status) {
      case 404 -> throw new ImageException.NotFound(what + " not found" + detail);
      case 401, 403 -> throw new ImageException.Unauthenticated(what + ": access denied" + detail);
      case 429, 500, 502, 503, 504 -> throw new ImageException.Unavailable(what + ": registry unavailable" + detail, null);
      default -> throw new ImageException.InvalidContent(what + ": unexpected response" + detail);
    }
  }

  /** The registry's error body ({@code {"errors":[{"code","message"}]}}) as one line. */
  private static String errorText(HttpResponse<InputStream> response) {
    try (InputStream body = response.body()) {
      byte[] bytes = body.readNBytes(64 * 1024);
      if (bytes.length == 0) {
        return "";
      }
      try {
        JsonNode errors = JSON.readTree(bytes).get("errors");
        if (errors != null && errors.isArray()) {
          List<String> parts = new ArrayList<>();
          errors.forEach(e -> parts.add(e.path("code").asString("") + ": " + e.path("message").asString("")));
          return String.join("; ", parts);
        }
      } catch (RuntimeException notJson) {
        // fall through to the raw text
      }
      String raw = new String(bytes, StandardCharsets.UTF_8).strip();
      return raw.length() > 200 ? raw.substring(0, 200) + "..." : raw;
    } catch (IOException e) {
      return "";
    }
  }

  private static ImageException unavailable(Endpoint endpoint, String what, Throwable e) {
    String reason;
    if (causedBy(e, UnresolvedAddressException.class) || causedBy(e, java.net.UnknownHostException.class)) {
      reason = "unknown host";
    } else if (causedBy(e, ConnectException.class)) {
      reason = "connection refused";
    } else if (e instanceof HttpConnectTimeoutException) {
      reason = "connection timed out";
    } else if (e instanceof HttpTimeoutException) {
      reason = "request timed out";
    } else {
      reason = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
    return new ImageException.Unavailable("cannot reach registry " + endpoint.base() + " (" + what + "): " + reason, e);
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private HttpClient client(Endpoint endpoint) {
    String key = endpoint.skipVerify() + "|" + endpoint.ca();
    return clients.computeIfAbsent(key, k -> {
      HttpClient.Builder builder = HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .followRedirects(HttpClient.Redirect.NEVER)
          .connectTimeout(connectTimeout)
          .executor(Executors.newVirtualThreadPerTaskExecutor());
      if (endpoint.skipVerify() || endpoint.ca() != null) {
        builder.sslContext(sslContext(endpoint));
      }
      return builder.build();
    });
  }

  private static SSLContext sslContext(Endpoint endpoint) {
    try {
      TrustManager[] trust;
      if (endpoint.skipVerify()) {
        trust = new TrustManager[] {new X509TrustManager() {
          @Override
          public void checkClientTrusted(X509Certificate[] chain, String type) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String type) {}

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        }};
      } else {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = java.nio.file.Files.newInputStream(endpoint.ca())) {
          int i = 0;
          for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
            store.setCertificateEntry("ca-" + i++, cert);
          }
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        trust = factory.getTrustManagers();
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust, null);
      return context;
    } catch (Exception e) {
      throw new ImageException.InvalidReference("registry " + endpoint.base() + ": cannot use CA " + endpoint.ca() + ": " + e.getMessage());
    }
  }

  /** Tracks progress of a body so that the watchdog can abort a stalled transfer. */
  private final class StallGuard extends FilterInputStream {
    private volatile long lastProgress = System.nanoTime();
    volatile boolean stalled;

    StallGuard(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      lastProgress = System.nanoTime();
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      lastProgress = System.nanoTime();
      return n;
    }

    void checkStall() {
      if (!stalled && System.nanoTime() - lastProgress > stallTimeout.toNanos()) {
        stalled = true;
        try {
          in.close();
        } catch (IOException ignored) {
          // the reader sees the failure
        }
      }
    }
  }

  @Override
  public void close() {
    watchdog.shutdownNow();
    clients.values().forEach(HttpClient::close);
  }
}
