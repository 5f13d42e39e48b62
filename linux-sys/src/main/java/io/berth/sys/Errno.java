package io.berth.sys;

/** The errno values berth reacts to, and readable names for messages. */
public final class Errno {
  public static final int EPERM = 1;
  public static final int ENOENT = 2;
  public static final int ESRCH = 3;
  public static final int EINTR = 4;
  public static final int EIO = 5;
  public static final int EBADF = 9;
  public static final int ECHILD = 10;
  public static final int EAGAIN = 11;
  public static final int ENOMEM = 12;
  public static final int EACCES = 13;
  public static final int EBUSY = 16;
  public static final int EEXIST = 17;
  public static final int EXDEV = 18;
  public static final int ENOTDIR = 20;
  public static final int EISDIR = 21;
  public static final int EINVAL = 22;
  public static final int ENOSPC = 28;
  public static final int ERANGE = 34;
  public static final int ENAMETOOLONG = 36;
  public static final int ENOSYS = 38;
  public static final int ENOTEMPTY = 39;
  public static final int ELOOP = 40;
  public static final int ENODATA = 61;
  public static final int EOPNOTSUPP = 95;
  public static final int ECONNREFUSED = 111;

  private Errno() {}

  public static String describe(int errno) {
    String name = switch (errno) {
      case EPERM -> "EPERM";
      case ENOENT -> "ENOENT (no such file or directory)";
      case ESRCH -> "ESRCH";
      case EINTR -> "EINTR";
      case EIO -> "EIO";
      case EBADF -> "EBADF";
      case ECHILD -> "ECHILD";
      case EAGAIN -> "EAGAIN (resource temporarily unavailable)";
      case ENOMEM -> "ENOMEM";
      case EACCES -> "EACCES (permission denied)";
      case EBUSY -> "EBUSY";
      case EEXIST -> "EEXIST";
      case EXDEV -> "EXDEV";
      case ENOTDIR -> "ENOTDIR";
      case EISDIR -> "EISDIR";
      case EINVAL -> "EINVAL";
      case ENOSPC -> "ENOSPC (no space left on device)";
      case ERANGE -> "ERANGE";
      case ENAMETOOLONG -> "ENAMETOOLONG";
      case ENOSYS -> "ENOSYS";
      case ENOTEMPTY -> "ENOTEMPTY";
      case ELOOP -> "ELOOP (symbolic link where none is allowed)";
      case ENODATA -> "ENODATA";
      case EOPNOTSUPP -> "EOPNOTSUPP";
      case ECONNREFUSED -> "ECONNREFUSED (connection refused)";
      default -> "errno";
    };
    return name + " (" + errno + ")";
  }
}
