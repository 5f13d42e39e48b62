package io.berth.sys;

import java.io.IOException;

/** A failed system call: which call, on what, and the errno the kernel returned. */
public final class SyscallException extends IOException {
  private final int errno;

  public SyscallException(String call, String subject, int errno) {
    super(call + "(" + subject + "): " + Errno.describe(errno));
    this.errno = errno;
  }

  public int errno() {
    return errno;
  }
}
