package io.berth.oci.runtime;

import io.berth.sys.SyscallException;
import io.berth.sys.Syscalls;
import java.nio.charset.StandardCharsets;

/**
 * OOM kills as the kernel logs them in {@code /dev/kmsg} ({@code oom-kill:...,oom_memcg=<path>,
 * task_memcg=<path>,task=...,pid=...}), the record of last resort for a SIGKILLed container
 * without conmon's oom marker. conmon learns of an OOM kill from the container cgroup's
 * memory.events; under the systemd driver systemd removes the container's scope as soon as its
 * last process is gone, and conmon, handling the exit first, can find the file gone and miss the
 * kill (measured in the VM: both runc and crun, in some runs). cAdvisor reads the same log for
 * the kubelet's OOM events. Each read of {@code /dev/kmsg} returns one record; a descriptor opened
 * non-blocking ends with EAGAIN.
 */
final class KernelOomLog {
  private static final int O_NONBLOCK = 04000;
  /** What a read says once when records it had not read yet were overwritten. */
  private static final int EPIPE = 32;
  /** A record is at most ~1 KiB of text plus its dictionary. */
  private static final int RECORD_BYTES = 8192;

  private final Syscalls sys;
  private final String device;

  KernelOomLog(Syscalls sys, String device) {
    this.sys = sys;
    this.device = device;
  }

  /** Whether the kernel's buffer holds an OOM kill in a memory cgroup whose path names container {@code id}. */
  boolean killedIn(String id) {
    if (id.isEmpty()) {
      return false; // an empty name is in every record
    }
    int fd;
    try {
      fd = sys.open(device, Syscalls.O_RDONLY | Syscalls.O_CLOEXEC | O_NONBLOCK);
    } catch (SyscallException e) {
      return false; // no kernel log here (an unprivileged or virtual environment)
    }
    try {
      byte[] buffer = new byte[RECORD_BYTES];
      while (true) {
        int n;
        try {
          n = sys.read(fd, buffer);
        } catch (SyscallException e) {
          if (e.errno() == EPIPE) {
            continue; // records were overwritten while reading: go on with the next one
          }
          return false; // EAGAIN: the end of the buffer
        }
        if (n <= 0) {
          return false;
        }
        if (names(new String(buffer, 0, n, StandardCharsets.UTF_8), id)) {
          return true;
        }
      }
    } finally {
      sys.close(fd);
    }
  }

  /** Whether a kmsg record ({@code pri,seq,usec,flags;text}) is an OOM kill in a cgroup whose path names {@code id}. */
  static boolean names(String record, String id) {
    int text = record.indexOf(';');
    if (text < 0 || !record.startsWith("oom-kill:", text + 1)) {
      return false;
    }
    for (String field : record.substring(text + 1).strip().split(",")) {
      if ((field.startsWith("oom_memcg=") || field.startsWith("task_memcg=")) && field.contains(id)) {
        return true;
      }
    }
    return false;
  }
}
