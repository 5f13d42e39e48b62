package io.berth.it.harness;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real Debian {@code docker-registry} (distribution 2.8) on 127.0.0.1 and a free port, with
 * its storage under a temporary directory; optionally behind htpasswd basic auth. Images are
 * pushed into it with skopeo.
 */
public final class Registry implements AutoCloseable {
  private static final String BINARY = "/usr/bin/docker-registry";

  private final Process process;
  private final int port;
  private final String username;
  private final String password;
  private final Path dir;

  private Registry(Process process, int port, String username, String password, Path dir) {
    this.process = process;
    this.port = port;
    this.username = username;
    this.password = password;
    this.dir = dir;
  }

  public static Registry start(Path dir) {
    return start(dir, null, null);
  }

  /** A registry that demands HTTP basic auth with these credentials (bcrypt htpasswd). */
  public static Registry startWithBasicAuth(Path dir, String username, String password) {
    return start(dir, username, password);
  }

  private static Registry start(Path dir, String username, String password) {
    try {
      Files.createDirectories(dir.resolve("storage"));
      int port = FreePort.pick();
      StringBuilder config = new StringBuilder()
          .append("version: 0.1\n")
          .append("log:\n  level: warn\n  accesslog:\n    disabled: true\n")
          .append("storage:\n  filesystem:\n    rootdirectory: ").append(dir.resolve("storage")).append('\n')
          .append("  delete:\n    enabled: true\n")
          .append("http:\n  addr: 127.0.0.1:").append(port).append('\n');
      if (username != null) {
        Path htpasswd = dir.resolve("htpasswd");
        String line = Commands.runOrFail("htpasswd", "-nbB", username, password).stdout().strip();
        Files.writeString(htpasswd, line + "\n");
        config.append("auth:\n  htpasswd:\n    realm: berth-test\n    path: ").append(htpasswd).append('\n');
      }
      Path configFile = dir.resolve("config.yml");
      Files.writeString(configFile, config.toString());
      Process process = new ProcessBuilder(BINARY, "serve", configFile.toString())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("registry.log").toFile()))
          .start();
      Registry registry = new Registry(process, port, username, password, dir);
      registry.awaitReady();
      return registry;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitReady() {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    try {
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(25)).pollInSameThread()
          .until(() -> answers(http));
    } catch (ConditionTimeoutException e) {
      close();
      throw new IllegalStateException("docker-registry did not answer on " + baseUrl());
    }
  }

  /** Whether the registry answers /v2/ yet; throws at once if it exited. */
  private boolean answers(HttpClient http) throws InterruptedException {
    if (!process.isAlive()) {
      throw new IllegalStateException("docker-registry exited " + process.exitValue() + ": " + log());
    }
    try {
      int status = http.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/v2/")).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
      return status == 200 || status == 401;
    } catch (IOException notYet) {
      return false; // not listening yet
    }
  }

  /** {@code 127.0.0.1:PORT}, the host part of image references. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  public String baseUrl() {
    return "http://" + host();
  }

  public boolean requiresAuth() {
    return username != null;
  }

  /** An {@code Authorization} header value for this registry's credentials. */
  public String basicAuthHeader() {
    return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes());
  }

  public String credentials() {
    return username + ":" + password;
  }

  /** Manifest type skopeo writes to the registry. */
  public enum Format {
    /** Keep the OCI manifest (and index) as built. */
    OCI,
    /** Convert to Docker schema2 (manifest list for an index). */
    DOCKER_SCHEMA2
  }

  /**
   * Pushes {@code tag} of an OCI layout to {@code destination} ({@code repository:tag}) here; an
   * index is pushed with every platform. Blobs are kept byte for byte ({@code
   * --preserve-digests}) where the format allows, so layer compression (gzip, zstd, none)
   * survives.
   */
  public void push(Path ociLayout, String tag, String destination, Format format) {
    List<String> command = new ArrayList<>(List.of("skopeo", "copy", "--quiet", "--all", "--dest-tls-verify=false"));
    if (format == Format.DOCKER_SCHEMA2) {
      command.addAll(List.of("--format", "v2s2"));
    } else {
      command.add("--preserve-digests");
    }
    if (username != null) {
      command.addAll(List.of("--dest-creds", credentials()));
    }
    command.add("oci:" + ociLayout + ":" + tag);
    command.add("docker://" + host() + "/" + destination);
    Commands.run(command, null, 300).requireSuccess(command);
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("registry.log"));
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
