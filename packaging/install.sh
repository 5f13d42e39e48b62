#!/bin/sh
# `make install` and `make uninstall` (the Makefile passes DESTDIR, PREFIX, UNITDIR, VERSION).
#
#   install.sh install LAUNCHERS    LAUNCHERS: the directory with the berthd and berthctl launchers
#                                   the Makefile made from cri-server/src/main/launcher/launcher.sh
#   install.sh uninstall
#
# install puts the jars in PREFIX/lib/berth, the launchers in PREFIX/bin, the systemd unit in
# UNITDIR, the CNI example in PREFIX/share/berth/cni, a commented /etc/berth/config.toml (only
# when there is none: an operator's file is never overwritten) and the AOT cache trained for the
# installed jars by the installed launcher. Every file and directory it creates is listed in
# PREFIX/lib/berth/install-manifest; uninstall removes exactly those, keeps the configuration if
# it changed since, and never touches /var/lib/berth.
set -eu

top=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
action=${1:-}
dest=${DESTDIR:-}
prefix=${PREFIX:-/usr/local}
unitdir=${UNITDIR:-$prefix/lib/systemd/system}
version=${VERSION:-unknown}
lib=$prefix/lib/berth
manifest=$lib/install-manifest
conf=/etc/berth/config.toml

case $prefix in
  /*) ;;
  *) echo "install.sh: PREFIX must be an absolute path, not '$prefix'" >&2; exit 2 ;;
esac

sha() { sha256sum < "$1" | cut -d ' ' -f 1; }

# Appends a line to the new manifest: "file PATH", "dir PATH" or "config PATH SHA256".
record() { echo "$*" >> "$new"; }

# Creates directory $1 (a path on the target system) and its missing parents, recording each.
mkdirs() {
  [ -d "$dest$1" ] && return 0
  mkdirs "$(dirname -- "$1")"
  mkdir -m 0755 -- "$dest$1"
  record dir "$1"
}

# put MODE SOURCE PATH: installs one file. GNU install unlinks the old file and writes a new
# one, so a berthd running from the old jars keeps reading the old inodes instead of crashing.
put() {
  mkdirs "$(dirname -- "$3")"
  install -p -m "$1" -- "$2" "$dest$3"
  record file "$3"
}

config_header() {
  cat <<EOF
# berthd's configuration file, read at start (and by \`systemctl reload berthd\`).
#
# berthd needs none of it: every setting has a built-in default. The lines below, all commented
# out, are those defaults as \`berthd config default\` printed them (berth $version). To change
# a setting, uncomment its line and edit the value; \`berthd config default\` prints what berthd
# makes of this file. An unknown key or a bad value stops berthd with a message naming the key.
# Neither \`make install\` nor the berth package overwrites this file once it exists.
#
EOF
}

install_all() {
  launchers=$1
  [ -f "$top/cri-server/target/cri-server.jar" ] || { echo "install: run \`make build\` first" >&2; exit 1; }
  # Without its JNI libraries berthd would fall back to copying them to a /tmp that may be noexec.
  [ -d "$top/cri-server/target/native" ] || { echo "install: run \`make build\` first (no native libraries)" >&2; exit 1; }
  if [ -n "$dest" ]; then
    mkdir -p -- "$dest"
    dest=$(CDPATH= cd -- "$dest" && pwd)
  fi
  new=$(mktemp /tmp/berth-manifest.XXXXXX)
  example=$(mktemp /tmp/berth-config.XXXXXX)
  unit=$(mktemp /tmp/berth-unit.XXXXXX)
  trap 'rm -f "$new" "$example" "$unit"' EXIT

  # A reinstall: the directories the earlier install created stay its own, and its files go
  # first, so that a jar of an older version does not stay on the class path (lib/*).
  old_config_sum=""
  if [ -f "$dest$manifest" ]; then
    while read -r kind path sum; do
      case $kind in
        dir) record dir "$path" ;;
        file) rm -f -- "$dest$path" ;;
        config) old_config_sum=$sum ;;
      esac
    done < "$dest$manifest"
  fi

  put 0644 "$top/cri-server/target/cri-server.jar" "$lib/cri-server.jar"
  for jar in "$top"/cri-server/target/lib/*.jar; do
    put 0644 "$jar" "$lib/lib/${jar##*/}"
  done
  # Netty's and zstd-jni's JNI libraries, loaded from here rather than copied to /tmp at start.
  for so in "$top"/cri-server/target/native/*.so; do
    put 0644 "$so" "$lib/native/${so##*/}"
  done
  put 0755 "$launchers/berthd" "$prefix/bin/berthd"
  put 0755 "$launchers/berthctl" "$prefix/bin/berthctl"
  sed -e "s|/usr/bin/berthd|$prefix/bin/berthd|g" "$top/packaging/berthd.service" > "$unit"
  put 0644 "$unit" "$unitdir/berthd.service"
  put 0644 "$top/examples/cni/10-berth-bridge.conflist" "$prefix/share/berth/cni/10-berth-bridge.conflist"

  # The example configuration, from the installed berthd itself (--config /dev/null: the
  # defaults, not whatever /etc/berth/config.toml this machine has).
  defaults=$("$dest$prefix/bin/berthd" --config /dev/null config default)
  { config_header; printf '%s\n' "$defaults" | sed -e 's/^/# /'; } > "$example"
  mkdirs "$(dirname -- "$conf")"
  if [ ! -e "$dest$conf" ]; then
    # 0600: the file is where registry credentials go.
    install -m 0600 -- "$example" "$dest$conf"
    record config "$conf" "$(sha "$dest$conf")"
  else
    current=$(sha "$dest$conf")
    if [ "$current" = "$(sha "$example")" ] || [ "$current" = "$old_config_sum" ]; then
      record config "$conf" "$current" # still the file an install put there
    else
      echo "install: keeping $conf (changed by the operator); the defaults: berthd config default"
    fi
  fi

  # The AOT cache for these jars and this launcher's java (a cache is tied to the JVM that
  # wrote it): trained by the installed launcher, so the jlinked runtime of the package trains
  # its own. Training runs berthd on throwaway directories.
  "$top/cri-server/src/main/launcher/train-aot.sh" "$dest$prefix/bin" "$dest$lib"
  for cache in "$lib/berthd.aot" "$lib/berthd.aot.jars"; do
    if [ -f "$dest$cache" ]; then
      record file "$cache"
    fi
  done

  awk '!seen[$0]++' "$new" > "$dest$manifest"
  chmod 0644 "$dest$manifest"
  echo "install: berth $version under ${dest:+$dest}$prefix; files listed in ${dest:+$dest}$manifest"
  if [ -z "$dest" ]; then
    echo "install: next: systemctl daemon-reload && systemctl enable --now berthd"
  fi
}

uninstall_all() {
  if [ ! -f "$dest$manifest" ]; then
    echo "uninstall: nothing to remove: $dest$manifest does not exist"
    return 0
  fi
  dirs=$(mktemp /tmp/berth-dirs.XXXXXX)
  trap 'rm -f "$dirs"' EXIT
  while read -r kind path sum; do
    case $kind in
      file) rm -f -- "$dest$path" ;;
      dir) echo "$path" >> "$dirs" ;;
      config)
        if [ -f "$dest$path" ] && [ "$(sha "$dest$path")" = "$sum" ]; then
          rm -f -- "$dest$path"
        elif [ -f "$dest$path" ]; then
          echo "uninstall: keeping $dest$path: changed since it was installed"
        fi
        ;;
    esac
  done < "$dest$manifest"
  rm -f -- "$dest$manifest"
  # Children sort after their parents: in reverse order each directory comes before its parent.
  # A directory that still holds something (the operator's config, another program's files) stays.
  sort -r "$dirs" | while read -r path; do
    rmdir -- "$dest$path" 2>/dev/null || true
  done
  if [ -L "$dest/etc/systemd/system/multi-user.target.wants/berthd.service" ]; then
    echo "uninstall: berthd.service is still enabled: systemctl disable berthd"
  fi
  echo "uninstall: removed berth from ${dest:+$dest}$prefix (/var/lib/berth is left as it is)"
}

case $action in
  install) install_all "${2:?install.sh install LAUNCHERS}" ;;
  uninstall) uninstall_all ;;
  *) echo "usage: install.sh install LAUNCHERS | install.sh uninstall" >&2; exit 2 ;;
esac
