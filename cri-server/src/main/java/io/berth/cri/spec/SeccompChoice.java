package io.berth.cri.spec;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.oci.spec.SeccompProfiles;
import io.berth.proto.runtime.v1.SecurityProfile;

/**
 * A CRI seccomp request as the runtime bridge's kind and profile: the {@code seccomp} field,
 * else the deprecated {@code seccomp_profile_path} string; neither set means unconfined, as with
 * the kubelet's own default (it sends RuntimeDefault when the pod or SeccompDefault asks).
 */
public record SeccompChoice(SeccompProfiles.Kind kind, String profile) {
  public static SeccompChoice of(boolean hasProfile, SecurityProfile profile, String deprecatedPath) {
    if (hasProfile) {
      return switch (profile.getProfileType()) {
        case Unconfined -> new SeccompChoice(SeccompProfiles.Kind.UNCONFINED, null);
        case Localhost -> new SeccompChoice(SeccompProfiles.Kind.LOCALHOST, profile.getLocalhostRef());
        default -> new SeccompChoice(SeccompProfiles.Kind.RUNTIME_DEFAULT, null);
      };
    }
    if (deprecatedPath.equals("runtime/default") || deprecatedPath.equals("docker/default")) {
      return new SeccompChoice(SeccompProfiles.Kind.RUNTIME_DEFAULT, null);
    }
    if (deprecatedPath.startsWith("localhost/")) {
      return new SeccompChoice(SeccompProfiles.Kind.LOCALHOST, deprecatedPath.substring("localhost/".length()));
    }
    if (deprecatedPath.isEmpty() || deprecatedPath.equals("unconfined")) {
      return new SeccompChoice(SeccompProfiles.Kind.UNCONFINED, null);
    }
    throw new InvalidArgumentException("unknown seccomp profile path '" + deprecatedPath + "'");
  }
}
