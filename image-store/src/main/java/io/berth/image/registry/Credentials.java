package io.berth.image.registry;

import io.berth.image.ImageException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Credentials for one registry, as the CRI AuthConfig carries them: username and password (or
 * {@code auth}, their base64 form), an identity token (an OAuth2 refresh token) or a registry
 * token (a bearer token used as is).
 */
public record Credentials(String username, String password, String identityToken, String registryToken) {
  public static final Credentials NONE = new Credentials(null, null, null, null);

  /** From the CRI AuthConfig fields; {@code auth} wins over username/password when set. */
  public static Credentials of(String username, String password, String auth, String identityToken,
      String registryToken) {
    String user = blankToNull(username);
    String pass = blankToNull(password);
    if (auth != null && !auth.isBlank()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new ImageException.InvalidReference("auth in the pull credentials is not base64");
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new ImageException.InvalidReference("auth in the pull credentials is not base64 of user:password");
      }
      user = decoded.substring(0, colon);
      pass = decoded.substring(colon + 1);
    }
    return new Credentials(user, pass, blankToNull(identityToken), blankToNull(registryToken));
  }

  public boolean isEmpty() {
    return username == null && identityToken == null && registryToken == null;
  }

  public boolean hasBasic() {
    return username != null && password != null;
  }

  String basicHeader() {
    return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  @Override
  public String toString() {
    return isEmpty() ? "anonymous" : "user " + (username == null ? "(token)" : username);
  }
}
