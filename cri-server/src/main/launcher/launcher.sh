#!/bin/sh
# Launcher generated from cri-server/src/main/launcher/launcher.sh (by `make build` for the build
# tree, by `make install` for an installed one). Runs @MAIN@ on Java 25
# with the jars in @JARDIR@, found relative to this script's own path (symbolic links resolved).
self=$(readlink -f -- "$0")
top=$(CDPATH= cd -- "$(dirname -- "$self")/.." && pwd)
jars="$top/@JARDIR@"
# The Debian package ships its own runtime (jlink) next to the jars; otherwise a JDK 25.
if [ -x "$jars/jre/bin/java" ]; then
  java="$jars/jre/bin/java"
else
  java="${BERTH_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
fi
aot="$jars/@NAME@.aot"
# The AOT cache (trained by `make build`, `make install` or the package) halves start-up; without
# it the JVM starts normally. The JVM does not notice when a jar changed after training and would
# run the classes the cache holds, so the cache is used only while every jar still has the size
# and mtime it was trained with (`$aot.jars`, written by train-aot.sh with this same stat command
# and names relative to the jar directory, so a tree installed under DESTDIR and moved keeps it).
aot_opts=""
if [ -f "$aot" ]; then
  trained=$(cd "$jars" && stat -L -c '%n %s %Y' cri-server.jar lib/*.jar 2>/dev/null)
  if [ -f "$aot.jars" ] && [ "$trained" = "$(cat "$aot.jars")" ]; then
    aot_opts="-XX:AOTCache=$aot -Xlog:aot=off -Xlog:cds=off"
  else
    echo "@NAME@: the jars changed since $aot was trained; starting without it (@RETRAIN@ trains a new one)" >&2
  fi
fi
# The JNI libraries of Netty's epoll transport and zstd-jni, unpacked from their jars by the
# build: from the jars, each would be copied to java.io.tmpdir and loaded from there at every
# start, which fails where /tmp is mounted noexec. java.library.path holds only this directory
# (the JVM finds its own libraries through its boot library path).
native_opts=""
if [ -d "$jars/native" ]; then
  native_opts="-Djava.library.path=$jars/native"
  # zstd-jni's library is named after its jar's version (a stale one would not link).
  for jar in "$jars"/lib/zstd-jni-*.jar; do
    zstd="$jars/native/lib${jar##*/}"
    if [ -f "${zstd%.jar}.so" ]; then
      native_opts="$native_opts -DZstdNativePath=${zstd%.jar}.so"
    fi
  done
fi
exec "$java" \
  -XX:+UseSerialGC -Xms16m -XX:+UseCompactObjectHeaders \
  --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  @JAVA_OPTS@ $aot_opts $native_opts ${BERTH_JAVA_OPTS:-} \
  -cp "$jars/cri-server.jar:$jars/lib/*" \
  @MAIN@ "$@"
