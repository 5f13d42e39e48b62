package io.berth.it.harness;

import io.berth.it.fixtures.OciLayout;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * Pushes blobs and manifests straight through the distribution API (monolithic uploads), for
 * content skopeo would refuse to write: manifests of odd media types, huge ones, many images.
 */
public final class RegistryPusher {
  private final Registry registry;
  private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  public RegistryPusher(Registry registry) {
    this.registry = registry;
  }

  /** Uploads a blob and returns its digest. */
  public String blob(String repository, byte[] content) {
    String digest = OciLayout.digest(content);
    HttpResponse<String> started =
        send(HttpRequest.newBuilder(URI.create(registry.baseUrl() + "/v2/" + repository + "/blobs/uploads/"))
            .POST(HttpRequest.BodyPublishers.noBody()));
    String location = started.headers().firstValue("Location")
        .orElseThrow(() -> new IllegalStateException("no upload location: " + started.body()));
    URI upload = URI.create(registry.baseUrl()).resolve(location);
    String separator = upload.toString().contains("?") ? "&" : "?";
    HttpResponse<String> done = send(HttpRequest.newBuilder(URI.create(upload + separator + "digest=" + digest))
        .header("Content-Type", "application/octet-stream")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(content)));
    if (done.statusCode() != 201) {
      throw new IllegalStateException("blob upload answered " + done.statusCode() + ": " + done.body());
    }
    return digest;
  }

  /** Puts a manifest under a tag (or digest) with the given media type; returns its digest. */
  public String manifest(String repository, String reference, String mediaType, byte[] content) {
    HttpResponse<String> response = send(HttpRequest.newBuilder(
            URI.create(registry.baseUrl() + "/v2/" + repository + "/manifests/" + reference))
        .header("Content-Type", mediaType)
        .PUT(HttpRequest.BodyPublishers.ofByteArray(content)));
    if (response.statusCode() != 201) {
      throw new IllegalStateException("manifest upload answered " + response.statusCode() + ": " + response.body());
    }
    return OciLayout.digest(content);
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    if (registry.requiresAuth()) {
      request.header("Authorization", registry.basicAuthHeader());
    }
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
