package io.berth.cri.spec;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.files.BoundedFiles;
import io.berth.oci.spec.SeccompProfiles;
import io.berth.oci.spec.SpecException;
import java.io.IOException;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;

/**
 * A seccomp choice with its Localhost profile read and checked ({@code localhost} null for the
 * other kinds). The request names the file, so it is read as {@link BoundedFiles} reads: a
 * regular file (a FIFO would hang the call, {@code /dev/zero} would fill the heap) of at most
 * {@link #MAX_PROFILE_BYTES}; callers read it before they take a pod's lock.
 */
public record SeccompSetting(SeccompProfiles.Kind kind, JsonNode localhost) {
  /**
   * berth's own RuntimeDefault, an allow-list of about 400 calls, is 6 KiB of JSON, and the kernel
   * loads no filter of more than 4096 BPF instructions; 1 MiB is far beyond any profile that can
   * load, and still bounds what one request costs the heap (the parsed tree is a few times the text).
   */
  public static final int MAX_PROFILE_BYTES = 1 << 20;

  /** The setting for {@code choice}; a privileged container's profile is not read (it gets none). */
  public static SeccompSetting of(SeccompChoice choice, boolean privileged) {
    if (choice.kind() != SeccompProfiles.Kind.LOCALHOST || privileged) {
      return new SeccompSetting(choice.kind(), null);
    }
    String name = choice.profile() == null ? "" : choice.profile();
    Path file = Path.of(name);
    if (!file.isAbsolute()) {
      throw new InvalidArgumentException("seccomp Localhost profile '" + name + "' is not an absolute path");
    }
    byte[] bytes;
    try {
      bytes = BoundedFiles.read(file, MAX_PROFILE_BYTES);
    } catch (IOException e) {
      throw new InvalidArgumentException("seccomp Localhost profile " + file + " " + e.getMessage());
    }
    try {
      return new SeccompSetting(SeccompProfiles.Kind.LOCALHOST, SeccompProfiles.parseLocalhost(file.toString(),
          bytes));
    } catch (SpecException e) {
      throw new InvalidArgumentException(e.getMessage());
    }
  }
}
