package io.berth.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * A libc function's downcall handle, linked on first use. Linking generates a stub (a few
 * milliseconds each, none of it in the AOT cache); linked eagerly, the fifty-odd functions of
 * this module took a third of berthd's start-up, though start-up calls almost none of them.
 */
final class Downcall {
  private static final Linker LINKER = Linker.nativeLinker();

  private final MemorySegment symbol;
  private final FunctionDescriptor descriptor;
  private final Linker.Option[] options;
  private volatile MethodHandle handle;

  /** Looks the symbol up now (cheap; a libc without it fails at start-up), links it on first use. */
  Downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
    this.symbol = LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    this.descriptor = descriptor;
    this.options = options;
  }

  /** The handle, linked now if this is its first use (a race links it twice, harmlessly). */
  MethodHandle get() {
    MethodHandle linked = handle;
    if (linked == null) {
      linked = LINKER.downcallHandle(symbol, descriptor, options);
      handle = linked;
    }
    return linked;
  }
}
