package io.berth.image.registry;

import io.berth.image.ImageException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.toml.TomlMapper;

/**
 * Where each registry is reached, in containerd's {@code hosts.toml} layout: a directory with
 * one {@code <host[:port]>/hosts.toml} per registry (and optionally {@code _default/hosts.toml}):
 *
 * <pre>
 * server = "https://registry.k8s.io"          # the upstream; default https://HOST
 * [host."http://localhost:5000"]              # mirrors, tried in order before the upstream
 *   capabilities = ["pull", "resolve"]
 *   skip_verify = false
 *   ca = "/etc/berth/certs.d/registry.k8s.io/ca.crt"
 * </pre>
 *
 * Registries on localhost, 127.0.0.0/8 and ::1 are reached over plain HTTP without any file,
 * as Docker and containerd do; everything else over HTTPS unless a file says otherwise.
 * Immutable and thread-safe; re-read by {@link #load} when the configuration changes.
 */
public final class RegistryHosts {
  /** One place to send registry requests: {@code base} is scheme://host[:port]. */
  public record Endpoint(URI base, boolean mirror, boolean skipVerify, Path ca) {
    public String host() {
      return base.getAuthority();
    }
  }

  private record HostFile(URI server, List<Endpoint> mirrors) {}

  private final Map<String, HostFile> files;
  private final Map<String, Credentials> credentials;

  private RegistryHosts(Map<String, HostFile> files, Map<String, Credentials> credentials) {
    this.files = files;
    this.credentials = credentials;
  }

  public static RegistryHosts none() {
    return new RegistryHosts(Map.of(), Map.of());
  }

  /** Reads every {@code <configDir>/<host>/hosts.toml}; {@code credentials} are per registry host. */
  public static RegistryHosts load(Path configDir, Map<String, Credentials> credentials) {
    Map<String, HostFile> files = new HashMap<>();
    if (configDir != null && Files.isDirectory(configDir)) {
      try (var dirs = Files.list(configDir)) {
        for (Path dir : dirs.toList()) {
          Path file = dir.resolve("hosts.toml");
          if (Files.isRegularFile(file)) {
            files.put(dir.getFileName().toString(), parse(dir.getFileName().toString(), file));
          }
        }
      } catch (IOException e) {
        throw new ImageException.InvalidReference(
            "cannot read registry configuration " + configDir + ": " + e.getMessage());
      }
    }
    return new RegistryHosts(Map.copyOf(files), Map.copyOf(credentials));
  }

  private static HostFile parse(String host, Path file) throws IOException {
    JsonNode root;
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      // Name the file, not only the directory: "Input length = 1" alone does not say which one.
      throw new ImageException.InvalidReference("cannot read registry configuration " + file + ": "
          + (e instanceof CharacterCodingException ? "not UTF-8 text" : e.getMessage()));
    }
    try {
      root = new TomlMapper().readTree(text);
    } catch (RuntimeException e) {
      throw new ImageException.InvalidReference(
          "registry configuration " + file + " is not valid TOML: " + e.getMessage());
    }
    URI server = root.has("server") ? URI.create(root.get("server").asString()) : null;
    List<Endpoint> mirrors = new ArrayList<>();
    JsonNode hosts = root.get("host");
    if (hosts != null) {
      for (var entry : hosts.properties()) {
        JsonNode h = entry.getValue();
        List<String> capabilities = new ArrayList<>();
        if (h.has("capabilities")) {
          h.get("capabilities").forEach(c -> capabilities.add(c.asString()));
        }
        if (!capabilities.isEmpty() && !capabilities.contains("pull")) {
          continue; // push-only hosts are of no use to a node
        }
        mirrors.add(new Endpoint(trimSlash(URI.create(entry.getKey())), true,
            h.has("skip_verify") && h.get("skip_verify").asBoolean(),
            h.has("ca") ? Path.of(h.get("ca").asString()) : null));
      }
    }
    return new HostFile(server == null ? null : trimSlash(server), List.copyOf(mirrors));
  }

  private static URI trimSlash(URI uri) {
    String s = uri.toString();
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    if (s.endsWith("/v2")) {
      s = s.substring(0, s.length() - 3);
    }
    return URI.create(s);
  }

  /** Mirrors first, in file order, then the upstream registry. */
  public List<Endpoint> endpointsFor(String registry) {
    HostFile file = files.getOrDefault(registry, files.get("_default"));
    List<Endpoint> endpoints = new ArrayList<>();
    if (file != null) {
      endpoints.addAll(file.mirrors());
    }
    URI upstream = file != null && file.server() != null && files.containsKey(registry)
        ? file.server() : defaultServer(registry);
    endpoints.add(new Endpoint(upstream, false, false, null));
    return endpoints;
  }

  public Credentials credentialsFor(String host) {
    return credentials.getOrDefault(host, Credentials.NONE);
  }

  static URI defaultServer(String registry) {
    if (registry.equals("docker.io")) {
      return URI.create("https://registry-1.docker.io");
    }
    return URI.create((isLoopback(registry) ? "http://" : "https://") + registry);
  }

  static boolean isLoopback(String hostPort) {
    String host = hostPort;
    if (host.startsWith("[")) {
      host = host.substring(1, host.indexOf(']'));
    } else if (host.indexOf(':') >= 0) {
      host = host.substring(0, host.indexOf(':'));
    }
    if (host.equals("localhost")) {
      return true;
    }
    try {
      return (Character.digit(host.charAt(0), 16) >= 0 || host.contains(":"))
          && InetAddress.ofLiteral(host).isLoopbackAddress();
    } catch (IllegalArgumentException notAnAddress) {
      return false;
    }
  }
}
