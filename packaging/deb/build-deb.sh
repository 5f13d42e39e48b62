#!/bin/sh
# `make deb`: builds OUT (target/berth_VERSION_amd64.deb) from the built jars.
#
#   VERSION=0.1.0~SNAPSHOT JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 build-deb.sh OUT
#
# 1. A Java runtime with only the modules berth uses (jdeps over the jars), made by jlink from
#    JAVA_HOME, at usr/lib/berth/jre of the staging tree, so a node needs no JDK.
# 2. `make install DESTDIR=<staging> PREFIX=/usr`: the same files as any install. Its launchers
#    run the staged runtime, so the AOT cache it trains belongs to the java the package ships
#    (a cache is tied to the JVM that wrote it; its jar list names jars relative to lib/berth,
#    and dpkg keeps the files' mtimes, so it matches at /usr/lib/berth after installation).
# 3. Docs, DEBIAN/ (control, conffiles, md5sums, maintainer scripts), dpkg-deb --root-owner-group.
set -eu

out=${1:?build-deb.sh OUT}
top=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
version=${VERSION:?VERSION is the Debian version, e.g. 0.1.0~SNAPSHOT}
java_home=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
maintainer=${DEB_MAINTAINER:-berth maintainers <maintainers@berth.invalid>}
make=${MAKE:-make}
here=$top/packaging/deb
work=$top/target/deb
stage=$work/root
jre=$stage/usr/lib/berth/jre
target=$top/cri-server/target

rm -rf -- "$work"
mkdir -p -- "$stage/usr/lib/berth" "$(dirname -- "$out")"

# 1. The runtime. jdeps lists the modules the jars name. java.desktop is there for java.beans
# (annotations Jackson reads): of its native libraries only headless AWT's stay (java.awt classes
# load libawt in their static initializers); imaging, fonts, sound and X11 are left out, as a
# daemon never draws: they would need libX11 and libasound and carry their own copies of libjpeg,
# lcms2 and freetype. So are the tools berthd never runs.
modules=$("$java_home/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 -q \
  "$target/cri-server.jar" "$target"/lib/*.jar)
unused='**/bin/jfr,**/bin/jwebserver,**/bin/keytool'
for native in awt_xawt jawt mlib_image fontmanager freetype lcms javajpeg splashscreen jsound; do
  unused="$unused,**/lib$native.so"
done
echo "deb: jlink $modules"
"$java_home/bin/jlink" --add-modules "$modules" \
  --strip-debug --no-header-files --no-man-pages --compress=zip-6 --exclude-files="$unused" --output "$jre"
# Debian ships stripped binaries (the JVM keeps its dynamic symbols for hs_err reports), shared
# libraries not executable, and files writable by their owner (jlink makes legal/ read-only).
find "$jre" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jspawnhelper -o -name jexec \) \
  -exec strip --strip-unneeded --remove-section=.comment --remove-section=.note -- {} +
find "$jre" -type f -name '*.so' -exec chmod 0644 -- {} +
find "$jre" -type f -perm -0400 ! -perm -0200 -exec chmod u+w -- {} +

# 2. The install tree, trained with the staged runtime.
"$make" -s -C "$top" install DESTDIR="$stage" PREFIX=/usr
rm -f -- "$stage/usr/lib/berth/install-manifest" # dpkg keeps the list of the package's files
# Netty's and zstd-jni's JNI libraries come unstripped in their jars; their dynamic symbols stay.
strip --strip-unneeded --remove-section=.comment --remove-section=.note -- "$stage"/usr/lib/berth/native/*.so

# 3. Docs and control files.
doc=$stage/usr/share/doc/berth
mkdir -p -- "$doc"
install -m 0644 -- "$here/copyright" "$doc/copyright"
install -D -m 0644 -- "$here/lintian-overrides" "$stage/usr/share/lintian/overrides/berth"
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
date=$(git -C "$top" log -1 --format=%cD 2>/dev/null || date -R)
printf 'berth (%s) unstable; urgency=medium\n\n  * Built from commit %s.\n\n -- %s  %s\n' \
  "$version" "$commit" "$maintainer" "$date" | gzip -9n > "$doc/changelog.gz"
chmod 0644 -- "$doc/changelog.gz"

mkdir -p -- "$stage/DEBIAN"
for script in postinst prerm postrm; do
  install -m 0755 -- "$here/$script" "$stage/DEBIAN/$script"
done
echo /etc/berth/config.toml > "$stage/DEBIAN/conffiles"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' md5sum) \
  > "$stage/DEBIAN/md5sums"
# As dpkg-gencontrol counts: KiB per file, rounded up, and 1 for every directory and link.
installed_size=$(cd "$stage" && find . -path ./DEBIAN -prune -o ! -path . -printf '%y %s\n' \
  | awk '{ kib += ($1 == "f") ? int(($2 + 1023) / 1024) : 1 } END { print kib }')
# libc6: the runtime's own native code (GLIBC_2.17 at most, checked in DebPackageTest). libssl3
# (libssl3t64 from Debian 13): libcrypto computes the SHA-256 of pulled content (io.berth.sys.Sha256).
cat > "$stage/DEBIAN/control" <<EOF
Package: berth
Version: $version
Architecture: amd64
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: libc6 (>= 2.17), libssl3 | libssl3t64, runc | crun, conmon, catatonit
Recommends: containernetworking-plugins
Section: admin
Priority: optional
Description: Kubernetes CRI runtime (berthd) with its own Java runtime
 berthd serves the Container Runtime Interface (CRI v1) on a unix socket
 (/run/berth/berth.sock) for the kubelet and crictl. Containers run under
 runc or crun, each watched by its own conmon, so they keep running while
 berthd restarts or is upgraded. Pods are networked through CNI plugins.
 .
 The package carries the Java runtime berthd needs (made with jlink from
 Eclipse Temurin 25), so the node needs no JDK, and berthctl, berth's own
 command-line client.
EOF

dpkg-deb --root-owner-group ${DEB_COMPRESS:-} --build "$stage" "$out" >/dev/null
echo "deb: $out ($(du -k "$out" | cut -f 1) KiB; Installed-Size: $installed_size KiB)"
