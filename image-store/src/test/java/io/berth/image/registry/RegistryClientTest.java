package io.berth.image.registry;

import static io.berth.image.registry.FakeRegistryTransport.blobUrl;
import static io.berth.image.registry.FakeRegistryTransport.manifestUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.image.ImageException;
import io.berth.image.oci.Descriptor;
import io.berth.image.oci.MediaTypes;
import io.berth.image.ref.Digest;
import io.berth.image.ref.ImageReference;
import io.berth.image.registry.FakeRegistryTransport.Request;
import io.berth.image.registry.RegistryClient.FetchedManifest;
import io.berth.image.registry.RegistryHosts.Endpoint;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The registry client against an in-memory registry: the bearer and basic auth dances and their
 * refusals, redirects, error statuses and broken bodies, as a registry on the network would
 * present them.
 */
class RegistryClientTest {
  static final String HOST = "registry.test";
  static final String REPO = "library/app";
  static final String REALM = "https://auth.test/token";
  static final String SCOPE = "repository:library/app:pull";
  static final byte[] MANIFEST = "{\"schemaVersion\":2,\"note\":\"not parsed by the client\"}"
      .getBytes(StandardCharsets.UTF_8);
  static final byte[] BLOB = "0123456789abcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.UTF_8);

  final FakeRegistryTransport fake = new FakeRegistryTransport();
  final ImageReference ref = ImageReference.parse(HOST + "/" + REPO + ":1");
  final Credentials alice = new Credentials("alice", "secret", null, null);
  RegistryClient client = new RegistryClient(RegistryHosts.none(), fake, Duration.ofSeconds(30));
  String manifestDigest;
  String blobDigest;

  RegistryClientTest() {
    manifestDigest = fake.putManifest(HOST, REPO, "1", MediaTypes.OCI_MANIFEST, MANIFEST);
    blobDigest = fake.putBlob(HOST, REPO, BLOB);
    fake.addUser("alice", "secret");
  }

  // ---- bearer tokens

  @Test
  void anonymousTokenIsFetchedOnceForTheChallengedScopeAndReused() {
    fake.requireBearer(HOST, REALM, "registry.test");

    FetchedManifest fetched = client.manifest(ref, "1", Credentials.NONE);
    assertThat(fetchBlob(0, Credentials.NONE)).isEqualTo(BLOB);
    client.manifest(ref, "1", Credentials.NONE);

    assertThat(fetched.content()).isEqualTo(MANIFEST);
    assertThat(fetched.digest().toString()).isEqualTo(manifestDigest);
    List<Request> tokenRequests = fake.requestsTo("auth.test");
    assertThat(tokenRequests).hasSize(1);
    assertThat(tokenRequests.getFirst().params()).containsEntry("scope", SCOPE).containsEntry("service", HOST);
    assertThat(tokenRequests.getFirst().header("Authorization")).isEmpty();
    List<Request> registryRequests = fake.requestsTo(HOST);
    // The challenge once; after it, the token goes with every request, the blob's too.
    assertThat(registryRequests).hasSize(4);
    assertThat(registryRequests.getFirst().header("Authorization")).isEmpty();
    assertThat(registryRequests.subList(1, 4)).allSatisfy(r ->
        assertThat(r.header("Authorization")).contains("Bearer token-1"));
  }

  @Test
  void passwordGoesToTheTokenServiceOnlyAndTheRegistrySeesTheToken() {
    fake.requireBearer(HOST, REALM, "registry.test");
    fake.makePrivate(HOST, REPO);

    client.manifest(ref, "1", alice);
    fetchBlob(0, alice);

    assertThat(fake.requestsTo("auth.test")).singleElement().satisfies(r ->
        assertThat(r.header("Authorization")).contains(basic("alice", "secret")));
    assertThat(fake.requestsTo(HOST)).allSatisfy(r ->
        assertThat(r.header("Authorization").orElse("")).doesNotStartWith("Basic"));
    assertThat(fake.requestsTo(HOST).getLast().header("Authorization")).contains("Bearer token-1");
  }

  @Test
  void defaultCredentialsOfTheHostServeAPullThatBringsNone() {
    fake.requireBearer(HOST, REALM, "registry.test");
    fake.makePrivate(HOST, REPO);
    client = new RegistryClient(RegistryHosts.load(null, Map.of(HOST, alice)), fake, Duration.ofSeconds(30));

    client.manifest(ref, "1", Credentials.NONE);

    assertThat(fake.requestsTo("auth.test").getFirst().header("Authorization")).contains(basic("alice", "secret"));
  }

  @Test
  void wrongPasswordIsRefusedByTheTokenServiceNamingUserAndScope() {
    fake.requireBearer(HOST, REALM, "registry.test");

    assertThatThrownBy(() -> client.manifest(ref, "1", new Credentials("alice", "wrong", null, null)))
        .isInstanceOf(ImageException.Unauthenticated.class)
        .hasMessage("token service " + REALM + " refused user alice for " + SCOPE + ": HTTP 401");
    assertThat(fake.requestsTo(HOST)).hasSize(1);
  }

  @Test
  void anonymousTokenWithoutAccessIsRefusedPreciselyAndNotReused() {
    fake.requireBearer(HOST, REALM, "registry.test");
    fake.makePrivate(HOST, REPO);

    for (int attempt = 0; attempt < 2; attempt++) {
      assertThatThrownBy(() -> client.manifest(ref, "1", Credentials.NONE))
          .isInstanceOf(ImageException.Unauthenticated.class)
          .hasMessage("registry registry.test refused anonymous access for registry.test/library/app: "
              + "UNAUTHORIZED: authentication required");
    }
    // The refused token was dropped: the second attempt asked for a new one.
    assertThat(fake.requestsTo("auth.test")).hasSize(2);
  }

  @Test
  void identityTokenIsPostedAsARefreshTokenGrant() {
    fake.requireBearer(HOST, REALM, "registry.test");
    fake.makePrivate(HOST, REPO);
    fake.addIdentityToken("refresh-1", "alice");

    client.manifest(ref, "1", new Credentials(null, null, "refresh-1", null));

    Request token = fake.requestsTo("auth.test").getFirst();
    assertThat(token.method()).isEqualTo("POST");
    assertThat(token.header("Content-Type")).contains("application/x-www-form-urlencoded");
    assertThat(token.params()).containsEntry("grant_type", "refresh_token").containsEntry("refresh_token", "refresh-1")
        .containsEntry("scope", SCOPE).containsEntry("service", HOST);
  }

  @Test
  void registryTokenIsUsedAsIsWithoutATokenService() {
    fake.requireBearer(HOST, REALM, "registry.test");
    fake.acceptRegistryToken("static-token");

    client.manifest(ref, "1", new Credentials(null, null, null, "static-token"));

    assertThat(fake.requestsTo("auth.test")).isEmpty();
    assertThat(fake.requestsTo(HOST).getLast().header("Authorization")).contains("Bearer static-token");
  }

  @Test
  void tokenServiceFailureIsUnavailableNotAnAuthError() {
    fake.requireBearer(HOST, REALM, "registry.test");
    fake.route(REALM, FakeRegistryTransport.error(503, "UNAVAILABLE", "down for maintenance"));

    assertThatThrownBy(() -> client.manifest(ref, "1", Credentials.NONE))
        .isInstanceOf(ImageException.Unavailable.class)
        .hasMessage("token service " + REALM + " answered HTTP 503");
  }

  // ---- basic auth

  @Test
  void basicCredentialsAnswerTheChallengeThenGoUpFront() {
    fake.requireBasic(HOST);

    client.manifest(ref, "1", alice);
    client.manifest(ref, "1", alice);

    List<Request> requests = fake.requestsTo(HOST);
    assertThat(requests).hasSize(3);
    assertThat(requests.getFirst().header("Authorization")).isEmpty();
    assertThat(requests.subList(1, 3)).allSatisfy(r ->
        assertThat(r.header("Authorization")).contains(basic("alice", "secret")));
  }

  @Test
  void basicChallengeWithoutCredentialsSaysNoneWereGiven() {
    fake.requireBasic(HOST);

    assertThatThrownBy(() -> client.manifest(ref, "1", Credentials.NONE))
        .isInstanceOf(ImageException.Unauthenticated.class)
        .hasMessage("registry registry.test requires credentials for registry.test/library/app and none were given: "
            + "UNAUTHORIZED: authentication required");
  }

  @Test
  void wrongBasicPasswordIsRefusedNamingTheUser() {
    fake.requireBasic(HOST);

    assertThatThrownBy(() -> client.manifest(ref, "1", new Credentials("alice", "wrong", null, null)))
        .isInstanceOf(ImageException.Unauthenticated.class)
        .hasMessage("registry registry.test refused the credentials of user alice for registry.test/library/app: "
            + "UNAUTHORIZED: authentication required");
  }

  // ---- redirects

  @Test
  void blobRedirectToAnotherHostIsFollowedWithoutTheAuthorization() {
    fake.requireBearer(HOST, REALM, "registry.test");
    fake.route(blobUrl(HOST, REPO, blobDigest), FakeRegistryTransport.redirect(307, "https://cdn.test/blobs/x?sig=1"));
    fake.route("https://cdn.test/blobs/x", FakeRegistryTransport.ok(BLOB));

    assertThat(fetchBlob(0, Credentials.NONE)).isEqualTo(BLOB);

    Request cdn = fake.requestsTo("cdn.test").getFirst();
    assertThat(cdn.uri().getQuery()).isEqualTo("sig=1");
    assertThat(cdn.header("Authorization")).isEmpty();
    assertThat(fake.requestsTo(HOST).getLast().header("Authorization")).contains("Bearer token-1");
  }

  @Test
  void relativeRedirectIsResolvedAgainstTheRequestAndKeepsTheAuthorization() {
    fake.requireBasic(HOST);
    fake.route(manifestUrl(HOST, REPO, "1"), FakeRegistryTransport.redirect(302, "../manifests/" + manifestDigest));

    FetchedManifest fetched = client.manifest(ref, "1", alice);

    assertThat(fetched.content()).isEqualTo(MANIFEST);
    Request followed = fake.requestsTo(HOST).getLast();
    assertThat(followed.url()).isEqualTo(manifestUrl(HOST, REPO, manifestDigest));
    assertThat(followed.header("Authorization")).contains(basic("alice", "secret"));
  }

  @Test
  void redirectLoopIsAbandonedAfterABoundedNumberOfHops() {
    String url = blobUrl(HOST, REPO, blobDigest);
    fake.route(url, FakeRegistryTransport.redirect(302, "/v2/" + REPO + "/blobs/" + blobDigest));

    assertThatThrownBy(() -> fetchBlob(0, Credentials.NONE))
        .isInstanceOf(ImageException.Unavailable.class)
        .hasMessageContaining("redirected /v2/library/app/blobs/" + blobDigest + " too many times");
    assertThat(fake.requestsFor(url)).hasSize(6);
  }

  @Test
  void redirectWithoutLocationIsUnavailable() {
    fake.route(manifestUrl(HOST, REPO, "1"), request -> new RegistryTransport.Response(302, Map.of(),
        new ByteArrayInputStream(new byte[0])));

    assertThatThrownBy(() -> client.manifest(ref, "1", Credentials.NONE))
        .isInstanceOf(ImageException.Unavailable.class)
        .hasMessageContaining("without a Location");
  }

  // ---- errors and broken bodies

  @Test
  void missingManifestIsNotFoundWithTheRegistrysOwnWords() {
    assertThatThrownBy(() -> client.manifest(ref, "2", Credentials.NONE))
        .isInstanceOf(ImageException.NotFound.class)
        .hasMessage("manifest registry.test/library/app:2 not found "
            + "(registry.test answered HTTP 404: MANIFEST_UNKNOWN: manifest unknown)");
  }

  @ParameterizedTest
  @ValueSource(ints = {429, 500, 502, 503})
  void serverTroubleIsUnavailable(int status) {
    fake.route(manifestUrl(HOST, REPO, "1"), FakeRegistryTransport.error(status, "UNAVAILABLE", "try later"));

    assertThatThrownBy(() -> client.manifest(ref, "1", Credentials.NONE))
        .isInstanceOf(ImageException.Unavailable.class)
        .hasMessageContaining("registry unavailable (registry.test answered HTTP " + status
            + ": UNAVAILABLE: try later)");
  }

  @Test
  void manifestWhoseBytesDoNotMatchTheAskedDigestIsInvalidContent() {
    byte[] other = "{\"other\":1}".getBytes(StandardCharsets.UTF_8);
    fake.route(manifestUrl(HOST, REPO, manifestDigest), FakeRegistryTransport.ok(other));

    assertThatThrownBy(() -> client.manifest(ref, manifestDigest, Credentials.NONE))
        .isInstanceOf(ImageException.InvalidContent.class)
        .hasMessageContaining("@" + manifestDigest + " from registry.test has digest " + Digest.of(other));
  }

  @Test
  void unknownHostAndRefusedConnectionAreUnavailableAndSaySo() {
    ImageReference elsewhere = ImageReference.parse("nowhere.test/app:1");
    assertThatThrownBy(() -> client.manifest(elsewhere, "1", Credentials.NONE))
        .isInstanceOf(ImageException.Unavailable.class)
        .hasMessageEndingWith("unknown host");

    fake.route(manifestUrl(HOST, REPO, "1"), FakeRegistryTransport.refused());
    assertThatThrownBy(() -> client.manifest(ref, "1", Credentials.NONE))
        .isInstanceOf(ImageException.Unavailable.class)
        .hasMessageEndingWith("connection refused");
  }

  @Test
  void bodyCutMidBlobIsUnavailableAfterTheBytesBeforeTheCut() {
    fake.route(blobUrl(HOST, REPO, blobDigest), FakeRegistryTransport.cutAfter(BLOB, 10));
    ByteArrayOutputStream received = new ByteArrayOutputStream();

    assertThatThrownBy(() -> client.blob(ref, upstream(), descriptor(), 0, Credentials.NONE,
        (body, start) -> body.transferTo(received)))
        .isInstanceOf(ImageException.Unavailable.class)
        .hasMessageContaining("Connection reset");
    assertThat(received.toByteArray()).hasSize(10);
  }

  @Test
  void stalledBlobIsAbandonedNamingTheStallTimeout() {
    fake.route(blobUrl(HOST, REPO, blobDigest), FakeRegistryTransport.stallAfter(BLOB, 5));

    assertThatThrownBy(() -> fetchBlob(0, Credentials.NONE))
        .isInstanceOf(ImageException.Unavailable.class)
        .hasMessage("blob " + blobDigest + " of registry.test/library/app: no data from registry.test for 30 s, "
            + "transfer abandoned");
  }

  @Test
  void resumedBlobAsksForTheRestAndIsToldWhereItStarts() {
    long[] start = {-1};
    ByteArrayOutputStream received = new ByteArrayOutputStream();

    client.blob(ref, upstream(), descriptor(), 10, Credentials.NONE, (body, from) -> {
      start[0] = from;
      body.transferTo(received);
    });

    assertThat(fake.requestsTo(HOST).getLast().header("Range")).contains("bytes=10-");
    assertThat(start[0]).isEqualTo(10);
    assertThat(received.toString(StandardCharsets.UTF_8)).isEqualTo("abcdefghijklmnopqrstuvwxyz");
  }

  @Test
  void serverIgnoringTheRangeIsReportedAsAStartFromZero() {
    fake.route(blobUrl(HOST, REPO, blobDigest), FakeRegistryTransport.ok(BLOB));
    long[] start = {-1};

    client.blob(ref, upstream(), descriptor(), 10, Credentials.NONE, (body, from) -> {
      start[0] = from;
      body.transferTo(OutputStream.nullOutputStream());
    });

    assertThat(start[0]).isZero();
  }

  // ---- mirrors and HEAD

  @Test
  void mirrorWithoutTheManifestFallsBackToTheUpstream(@TempDir Path config) throws Exception {
    Path dir = Files.createDirectories(config.resolve(HOST));
    Files.writeString(dir.resolve("hosts.toml"), """
        [host."https://mirror.test"]
          capabilities = ["pull"]
        """);
    fake.putBlob("mirror.test", "unrelated", new byte[] {1});
    client = new RegistryClient(RegistryHosts.load(config, Map.of()), fake, Duration.ofSeconds(30));

    FetchedManifest fetched = client.manifest(ref, "1", Credentials.NONE);

    assertThat(fetched.endpoint().host()).isEqualTo(HOST);
    assertThat(fake.requests()).extracting(Request::host).containsExactly("mirror.test", HOST);
  }

  @Test
  void reloadedHostsAndCredentialsServeTheNextRequest(@TempDir Path config) throws Exception {
    fake.requireBearer(HOST, REALM, "registry.test");
    fake.makePrivate(HOST, REPO);
    client.manifest(ref, "1", alice);
    Path dir = Files.createDirectories(config.resolve(HOST));
    Files.writeString(dir.resolve("hosts.toml"), """
        [host."https://mirror.test"]
          capabilities = ["pull"]
        """);
    Credentials bob = new Credentials("bob", "hunter2", null, null);
    fake.addUser("bob", "hunter2");

    client.useHosts(RegistryHosts.load(config, Map.of(HOST, bob)));
    client.manifest(ref, "1", Credentials.NONE);

    // The mirror is asked now, and the upstream's token is bought with the new default credentials.
    assertThat(fake.requestsTo("mirror.test")).hasSize(1);
    assertThat(fake.requestsTo("auth.test").getLast().header("Authorization")).contains(basic("bob", "hunter2"));
    assertThat(client.hosts().credentialsFor(HOST)).isEqualTo(bob);
  }

  @Test
  void manifestDigestIsReadFromAHeadRequest() {
    Optional<Digest> digest = client.manifestDigest(ref, "1", Credentials.NONE);

    assertThat(digest).contains(Digest.parse(manifestDigest));
    assertThat(fake.requests()).singleElement().extracting(Request::method).isEqualTo("HEAD");
  }

  // ---- helpers

  private byte[] fetchBlob(long offset, Credentials credentials) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    client.blob(ref, upstream(), descriptor(), offset, credentials, (body, start) -> body.transferTo(out));
    return out.toByteArray();
  }

  private Descriptor descriptor() {
    return new Descriptor("application/octet-stream", blobDigest, BLOB.length, null, null, null);
  }

  private static Endpoint upstream() {
    return RegistryHosts.none().endpointsFor(HOST).getFirst();
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }
}
