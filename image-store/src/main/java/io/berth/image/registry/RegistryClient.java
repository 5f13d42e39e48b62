package io.berth.image.registry;

import io.berth.image.ImageException;
import io.berth.image.oci.Descriptor;
import io.berth.image.oci.MediaTypes;
import io.berth.image.ref.Digest;
import io.berth.image.ref.ImageReference;
import io.berth.image.registry.RegistryHosts.Endpoint;
import io.berth.image.registry.RegistryTransport.Response;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * A client of the OCI distribution API over a {@link RegistryTransport}: manifests and blobs
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

  /** Replaced whole by {@link #useHosts}; every request reads it once per endpoint list. */
  private volatile RegistryHosts hosts;
  private final Duration stallTimeout;
  private final RegistryTransport http;
  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  private final Map<String, Boolean> basicHosts = new ConcurrentHashMap<>();

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

  /** Over HTTP, with {@code stallTimeout} as the read timeout of every body. */
  public RegistryClient(RegistryHosts hosts, Duration connectTimeout, Duration stallTimeout) {
    this(hosts, new HttpTransport(connectTimeout, stallTimeout), stallTimeout);
  }

  /** Over {@code transport}, whose read timeout is {@code stallTimeout} (named in stall errors). */
  public RegistryClient(RegistryHosts hosts, RegistryTransport transport, Duration stallTimeout) {
    this.hosts = hosts;
    this.stallTimeout = stallTimeout;
    this.http = transport;
  }

  public RegistryHosts hosts() {
    return hosts;
  }

  /**
   * Sends later requests by {@code next}: a reloaded configuration's hosts files and default
   * credentials. Tokens, basic-auth hosts and TLS contexts learnt under the old ones are dropped,
   * so withdrawn credentials and replaced CA files take effect at once.
   */
  public void useHosts(RegistryHosts next) {
    hosts = Objects.requireNonNull(next, "hosts");
    tokens.clear();
    basicHosts.clear();
    http.forgetTlsContexts();
  }

  /** Builds the default HTTP client now (TLS set-up takes a while) rather than on the first pull. */
  public void prepareClients() {
    http.prepare();
  }

  /** GETs a manifest or index by tag or digest, trying mirrors first. */
  public FetchedManifest manifest(ImageReference ref, String reference, Credentials credentials) {
    return manifest(ref, reference, credentials, bytes -> {});
  }

  /**
   * GETs a manifest or index by tag or digest, trying mirrors first, telling {@code progress} of
   * each response that arrives (0) and of the body's bytes as they are read.
   */
  public FetchedManifest manifest(ImageReference ref, String reference, Credentials credentials,
      LongConsumer progress) {
    ImageException reported = null;
    for (Endpoint endpoint : hosts.endpointsFor(ref.domain())) {
      try {
        return manifestFrom(endpoint, ref, reference, credentials, progress);
      } catch (ImageException.NotFound | ImageException.Unavailable | ImageException.Unauthenticated e) {
        if (endpoint.mirror()) {
          log.info("registry mirror failed, trying next mirror={} image={} error={}", endpoint.base(), ref,
              e.getMessage());
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
    boolean laterSaysMore = earlier instanceof ImageException.Unavailable
        && !(later instanceof ImageException.Unavailable);
    return laterSaysMore ? later : earlier;
  }

  /**
   * HEADs a manifest: its digest from {@code Docker-Content-Digest}, without the body, from the
   * first endpoint that answers. Empty when no endpoint says (the caller then GETs). Registries
   * count GETs against pull rate limits, not HEADs, so an unchanged image costs nothing.
   */
  public Optional<Digest> manifestDigest(ImageReference ref, String reference, Credentials credentials) {
    for (Endpoint endpoint : hosts.endpointsFor(ref.domain())) {
      String path = "/v2/" + ref.path() + "/manifests/" + reference;
      try (Response response = send(endpoint, "HEAD", path, Map.of("Accept", MediaTypes.MANIFEST_ACCEPT), ref,
          credentials)) {
        if (response.status() == 200) {
          var digest = response.header("Docker-Content-Digest").filter(Digest::looksLikeDigest).map(Digest::parse);
          if (digest.isPresent()) {
            return digest;
          }
        }
      } catch (IOException | ImageException e) {
        log.debug("manifest HEAD failed endpoint={} image={} error={}", endpoint.base(), ref, e.getMessage());
      }
    }
    return Optional.empty();
  }

  private FetchedManifest manifestFrom(Endpoint endpoint, ImageReference ref, String reference,
      Credentials credentials, LongConsumer progress) {
    String path = "/v2/" + ref.path() + "/manifests/" + reference;
    try (Response response = send(endpoint, "GET", path, Map.of("Accept", MediaTypes.MANIFEST_ACCEPT), ref,
        credentials)) {
      String separator = Digest.looksLikeDigest(reference) ? "@" : ":";
      progress.accept(0);
      requireOk(response, endpoint, "manifest " + ref.repository() + separator + reference);
      long declared = response.contentLength();
      if (declared > MAX_MANIFEST_BYTES) {
        throw tooBig(ref, reference, declared);
      }
      byte[] content = new CountingInputStream(response.body(), progress).readNBytes(MAX_MANIFEST_BYTES + 1);
      if (content.length > MAX_MANIFEST_BYTES) {
        throw tooBig(ref, reference, content.length);
      }
      String mediaType = response.header("Content-Type").map(t -> t.split(";")[0].strip()).orElse("");
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

  private void blobFrom(Endpoint endpoint, ImageReference ref, Descriptor descriptor, long offset,
      Credentials credentials, BlobSink sink) {
    String what = "blob " + descriptor.digest() + " of " + ref.repository();
    Map<String, String> headers = offset > 0 ? Map.of("Range", "bytes=" + offset + "-") : Map.of();
    try (Response response = send(endpoint, "GET", "/v2/" + ref.path() + "/blobs/" + descriptor.digest(),
        headers, ref, credentials)) {
      requireOk(response, endpoint, what);
      long start = offset > 0 && response.status() == 206 ? offset : 0;
      sink.accept(response.body(), start);
    } catch (SocketTimeoutException e) {
      throw new ImageException.Unavailable(what + ": no data from " + endpoint.host() + " for "
          + stallTimeout.toSeconds() + " s, transfer abandoned", e);
    } catch (IOException e) {
      throw unavailable(endpoint, what, e);
    }
  }

  private Response send(Endpoint endpoint, String method, String path, Map<String, String> headers,
      ImageReference ref, Credentials requestCredentials) throws IOException {
    Credentials credentials = requestCredentials.isEmpty() ? hosts.credentialsFor(endpoint.host()) : requestCredentials;
    String scope = "repository:" + ref.path() + ":pull";
    String authorization = cachedAuthorization(endpoint, scope, credentials);
    Response response = exchange(endpoint, method, path, headers, authorization);
    if (response.status() != 401) {
      return response;
    }
    String challenge = response.header("WWW-Authenticate").orElse("");
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
    if (response.status() == 401 || response.status() == 403) {
      String text = errorText(response);
      tokens.remove(tokenKey(endpoint, scope, credentials));
      throw new ImageException.Unauthenticated("registry " + endpoint.host() + " refused "
          + (credentials.isEmpty() ? "anonymous access" : "the credentials of " + credentials) + " for "
          + ref.repository() + (text.isEmpty() ? "" : ": " + text));
    }
    return response;
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

  private String fetchToken(Endpoint endpoint, String challenge, String scope, Credentials credentials)
      throws IOException {
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
      throw new ImageException.Unauthenticated(
          "registry " + endpoint.host() + " sent a bearer challenge without a realm");
    }
    String tokenScope = params.getOrDefault("scope", scope);
    StringBuilder query = new StringBuilder();
    if (params.containsKey("service")) {
      query.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8));
    }
    query.append(query.isEmpty() ? "" : "&").append("scope=")
        .append(URLEncoder.encode(tokenScope, StandardCharsets.UTF_8));
    int status;
    byte[] responseBody;
    Endpoint tokenService = new Endpoint(URI.create(realm), false, endpoint.skipVerify(), endpoint.ca());
    try {
      Response response;
      if (credentials.identityToken() != null) {
        String form = query + "&grant_type=refresh_token&client_id=berth&refresh_token="
            + URLEncoder.encode(credentials.identityToken(), StandardCharsets.UTF_8);
        response = http.send(tokenService, URI.create(realm), "POST",
            Map.of("Content-Type", "application/x-www-form-urlencoded"), form.getBytes(StandardCharsets.UTF_8));
      } else {
        response = http.send(tokenService, URI.create(realm + (realm.contains("?") ? "&" : "?") + query), "GET",
            credentials.hasBasic() ? Map.of("Authorization", credentials.basicHeader()) : Map.of(), null);
      }
      try (response) {
        status = response.status();
        responseBody = response.body().readNBytes(1 << 20);
      }
    } catch (IOException e) {
      throw unavailable(tokenService, "fetching a token", e);
    }
    if (status == 401 || status == 403) {
      throw new ImageException.Unauthenticated("token service " + realm + " refused " + credentials
          + " for " + tokenScope + ": HTTP " + status);
    }
    if (status != 200) {
      throw new ImageException.Unavailable("token service " + realm + " answered HTTP " + status, null);
    }
    JsonNode body = JSON.readTree(responseBody);
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
  private Response exchange(Endpoint endpoint, String method, String path, Map<String, String> headers,
      String authorization) throws IOException {
    URI uri = URI.create(endpoint.base() + path);
    String originalHost = uri.getAuthority();
    for (int hop = 0; hop < 6; hop++) {
      Map<String, String> request = new HashMap<>(headers);
      if (authorization != null && originalHost.equals(uri.getAuthority())) {
        request.put("Authorization", authorization);
      }
      Response response;
      try {
        response = http.send(endpoint, uri, method, request, null);
      } catch (IOException e) {
        throw unavailable(endpoint, method + " " + path, e);
      }
      int status = response.status();
      if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
        String location = response.header("Location").orElse(null);
        response.close();
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

  private void requireOk(Response response, Endpoint endpoint, String what) {
    int status = response.status();
    if (status == 200 || status == 206) {
      return;
    }
    String text = errorText(response);
    String detail = " (" + endpoint.host() + " answered HTTP " + status + (text.isEmpty() ? "" : ": " + text) + ")";
    switch (status) {
      case 404 -> throw new ImageException.NotFound(what + " not found" + detail);
      case 401, 403 -> throw new ImageException.Unauthenticated(what + ": access denied" + detail);
      case 429, 500, 502, 503, 504 ->
          throw new ImageException.Unavailable(what + ": registry unavailable" + detail, null);
      default -> throw new ImageException.InvalidContent(what + ": unexpected response" + detail);
    }
  }

  /** The registry's error body ({@code {"errors":[{"code","message"}]}}) as one line. */
  private static String errorText(Response response) {
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
    if (causedBy(e, UnresolvedAddressException.class) || causedBy(e, UnknownHostException.class)) {
      reason = "unknown host";
    } else if (causedBy(e, ConnectException.class)) {
      reason = "connection refused";
    } else if (causedBy(e, SocketTimeoutException.class)) {
      reason = "timed out";
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

  @Override
  public void close() {
    // Nothing to release: connections idle out of the JDK's keep-alive cache.
  }
}
