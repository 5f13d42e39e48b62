package io.berth.cri.pod;

import io.berth.proto.runtime.v1.DNSConfig;
import io.berth.sys.SyscallException;
import io.berth.sys.Syscalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The files a pod's containers share: {@code hostname}, {@code hosts} and {@code resolv.conf}
 * (from the DNSConfig, else the host's own), under {@code <dir>/<id>/}, and the pod's private
 * {@code /dev/shm}, a size-limited tmpfs, so that IPC between the pod's containers works and
 * stays the pod's.
 */
public final class SandboxFiles {
  /** The default /dev/shm size, as Docker and containerd give it. */
  static final long SHM_BYTES = 64L * 1024 * 1024;

  private final Path dir;
  private final Syscalls sys;

  public SandboxFiles(Path dir, Syscalls sys) {
    this.dir = dir;
    this.sys = sys;
  }

  public Path dir(String id) {
    return dir.resolve(id);
  }

  public Path hostname(String id) {
    return dir(id).resolve("hostname");
  }

  public Path hosts(String id) {
    return dir(id).resolve("hosts");
  }

  public Path resolvConf(String id) {
    return dir(id).resolve("resolv.conf");
  }

  public Path shm(String id) {
    return dir(id).resolve("shm");
  }

  /** Writes hostname, hosts and resolv.conf; {@code hostNetwork} pods get the host's hosts file. */
  public void write(String id, String hostname, DNSConfig dns, boolean hostNetwork) throws IOException {
    Files.createDirectories(dir(id));
    Files.writeString(hostname(id), hostname + "\n");
    if (hostNetwork && Files.isReadable(Path.of("/etc/hosts"))) {
      Files.copy(Path.of("/etc/hosts"), hosts(id), StandardCopyOption.REPLACE_EXISTING);
    } else {
      Files.writeString(hosts(id), """
          127.0.0.1\tlocalhost
          ::1\tlocalhost ip6-localhost ip6-loopback
          fe00::0\tip6-localnet
          fe00::0\tip6-mcastprefix
          fe00::1\tip6-allnodes
          fe00::2\tip6-allrouters
          """);
    }
    Files.writeString(resolvConf(id), resolvConf(dns));
  }

  /** resolv.conf from the DNSConfig; with none given, the host's (what dnsPolicy Default means). */
  static String resolvConf(DNSConfig dns) throws IOException {
    if (dns.getServersCount() == 0 && dns.getSearchesCount() == 0 && dns.getOptionsCount() == 0) {
      Path host = Path.of("/etc/resolv.conf");
      return Files.isReadable(host) ? Files.readString(host) : "";
    }
    StringBuilder text = new StringBuilder();
    if (dns.getSearchesCount() > 0) {
      text.append("search ").append(String.join(" ", dns.getSearchesList())).append('\n');
    }
    for (String server : dns.getServersList()) {
      text.append("nameserver ").append(server).append('\n');
    }
    if (dns.getOptionsCount() > 0) {
      text.append("options ").append(String.join(" ", dns.getOptionsList())).append('\n');
    }
    return text.toString();
  }

  /** Mounts the pod's /dev/shm tmpfs; returns its path. */
  public Path mountShm(String id) throws IOException {
    Path shm = Files.createDirectories(shm(id));
    // MS_NOSUID | MS_NODEV | MS_NOEXEC: nothing on shared memory should be runnable or a device.
    sys.mount("shm", shm.toString(), "tmpfs", 2L | 4L | 8L, "mode=1777,size=" + SHM_BYTES);
    return shm;
  }

  /** Unmounts the pod's /dev/shm, if mounted (idempotent). */
  public void unmountShm(String id) {
    try {
      sys.umount2(shm(id).toString(), Syscalls.MNT_DETACH);
    } catch (SyscallException e) {
      // not mounted: nothing to do
    }
  }

  /** Removes the sandbox's directory (after {@link #unmountShm}); idempotent. */
  public void remove(String id) {
    unmountShm(id);
    Path root = dir(id);
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (NoSuchFileException e) {
      // gone already
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove sandbox directory " + root + ": " + e.getMessage(), e);
    }
  }
}
