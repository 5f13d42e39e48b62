package io.berth.image.ref;

import io.berth.image.ImageException;
import java.util.regex.Pattern;

/**
 * A normalised image reference, as Docker and containerd read them: {@code busybox} is
 * {@code docker.io/library/busybox:latest}; {@code host:port/ns/repo:tag}; {@code repo@sha256:...};
 * a tag plus a digest (the digest decides). Exactly one of tag or digest is usually set; both is
 * allowed.
 */
public record ImageReference(String domain, String path, String tag, Digest digest) {
  public static final String DOCKER_HUB = "docker.io";
  private static final Pattern PATH_COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
  private static final Pattern DOMAIN = Pattern.compile(
      "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?"
          + "|\\[[0-9a-fA-F:]+\\](?::[0-9]+)?");

  public static ImageReference parse(String reference) {
    if (reference == null || reference.isBlank()) {
      throw new ImageException.InvalidReference("image reference is empty");
    }
    if (reference.length() > 4096 || !reference.strip().equals(reference)) {
      throw invalid(reference, "it is too long or has surrounding whitespace");
    }
    String rest = reference;
    Digest digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      try {
        digest = Digest.parse(rest.substring(at + 1));
      } catch (ImageException.InvalidReference e) {
        throw invalid(reference, e.getMessage());
      }
      rest = rest.substring(0, at);
    }
    String tag = null;
    int lastSlash = rest.lastIndexOf('/');
    int colon = rest.lastIndexOf(':');
    if (colon > lastSlash) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw invalid(reference, "tag '" + tag + "' is not valid");
      }
    }
    String domain;
    String path;
    int slash = rest.indexOf('/');
    String first = slash < 0 ? "" : rest.substring(0, slash);
    boolean namesAHost = first.contains(".") || first.contains(":") || first.equals("localhost")
        || first.startsWith("[");
    if (slash >= 0 && namesAHost) {
      domain = first;
      path = rest.substring(slash + 1);
    } else {
      domain = DOCKER_HUB;
      path = rest;
    }
    if (domain.equals("index.docker.io")) {
      domain = DOCKER_HUB;
    }
    if (domain.equals(DOCKER_HUB) && !path.contains("/")) {
      path = "library/" + path;
    }
    if (!DOMAIN.matcher(domain).matches()) {
      throw invalid(reference, "registry host '" + domain + "' is not valid");
    }
    int portColon = domain.lastIndexOf(':');
    if (portColon > domain.lastIndexOf(']')) {
      String port = domain.substring(portColon + 1);
      // Checked here: an unparseable port otherwise surfaced as the URI class's exception text.
      if (port.length() > 5 || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65_535) {
        throw invalid(reference, "registry port " + port + " is not a port (1 to 65535)");
      }
    }
    if (path.isEmpty()) {
      throw invalid(reference, "it names no repository");
    }
    for (String component : path.split("/", -1)) {
      if (!PATH_COMPONENT.matcher(component).matches()) {
        throw invalid(reference,
            "repository component '" + component + "' must be lowercase letters, digits and separators");
      }
    }
    if (path.length() > 255) {
      throw invalid(reference, "repository name is longer than 255 characters");
    }
    if (tag == null && digest == null) {
      tag = "latest";
    }
    return new ImageReference(domain, path, tag, digest);
  }

  private static ImageException.InvalidReference invalid(String reference, String why) {
    return new ImageException.InvalidReference("invalid image reference '" + reference + "': " + why);
  }

  /** {@code domain/path}, the repository name. */
  public String repository() {
    return domain + "/" + path;
  }

  /** The tag or digest to ask the registry for (the digest when both are set). */
  public String manifestReference() {
    return digest != null ? digest.toString() : tag;
  }

  /** {@code domain/path:tag}, or null without a tag. */
  public String tagged() {
    return tag == null ? null : repository() + ":" + tag;
  }

  /** {@code domain/path@digest} for a given manifest digest. */
  public String withDigest(Digest manifestDigest) {
    return repository() + "@" + manifestDigest;
  }

  @Override
  public String toString() {
    return repository() + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
  }
}
