#!/bin/bash
# Builds (once) the Debian 12 guest image the VM tests boot: debootstrap with systemd as PID 1,
# Debian's kernel, the unified cgroup hierarchy, runc/crun/conmon/catatonit, the CNI plugins and
# socat; then `mkfs.ext4 -d` into a raw image. The image is cached under
# $BERTH_VM_CACHE/<key>/ (default /var/cache/berth-vm), where the key hashes packages.list, this
# script and guest/: a change to any of them builds a new image. Prints the cache directory,
# which holds base.img, vmlinuz, initrd.img and cmdline.
#
# Usage: vm/build-image.sh [--print-dir]   (--print-dir: only print where the image would be)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache_root=${BERTH_VM_CACHE:-/var/cache/berth-vm}
mirror=${BERTH_VM_MIRROR:-$(sed -n 's|^URIs: *\(http[^ ]*/debian\)/*$|\1|p' \
  /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)}
mirror=${mirror:-http://deb.debian.org/debian}
size=${BERTH_VM_IMAGE_SIZE:-4G}

key=$( (cat "$here/packages.list" "$here/build-image.sh"; cd "$here/guest" && \
  for f in $(ls); do echo "== $f"; cat "$f"; done) | sha256sum | cut -c1-16)
dir=$cache_root/$key
if [[ ${1:-} == --print-dir ]]; then echo "$dir"; exit 0; fi
if [[ -f $dir/done ]]; then echo "$dir"; exit 0; fi

for tool in debootstrap mkfs.ext4 qemu-img qemu-system-x86_64; do
  command -v "$tool" >/dev/null || {
    echo "build-image: $tool missing (apt-get install debootstrap qemu-system-x86 qemu-utils)" >&2
    exit 1
  }
done

mkdir -p "$cache_root"
# One build at a time; a second caller waits and then finds the image done.
exec 9>"$cache_root/.lock"
flock 9
if [[ -f $dir/done ]]; then echo "$dir"; exit 0; fi

start=$(date +%s)
work=$(mktemp -d "$cache_root/.build-$key.XXXXXX")
rootfs=$work/rootfs
cleanup() {
  # debootstrap leaves /proc and /sys mounted in the target when it fails half way.
  for m in proc sys dev/pts dev; do umount -l "$rootfs/$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

packages=$(grep -v '^#' "$here/packages.list" | grep -v '^$' | paste -sd, -)
echo "build-image: debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" \
  > "$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

echo berth-vm > "$rootfs/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 berth-vm\n' > "$rootfs/etc/hosts"
install -m 0644 "$here/guest/fstab" "$rootfs/etc/fstab"
mkdir -p "$rootfs/mnt/berth"
install -m 0644 "$here/guest/10-qemu.network" "$rootfs/etc/systemd/network/10-qemu.network"
echo 'nameserver 10.0.2.3' > "$rootfs/etc/resolv.conf"
units=$rootfs/etc/systemd/system
install -m 0644 "$here/guest/berth-cri-tcp.service" "$here/guest/berth-shell.service" "$units/"
mkdir -p "$units/multi-user.target.wants"
for u in berth-cri-tcp.service berth-shell.service; do
  ln -sf "/etc/systemd/system/$u" "$units/multi-user.target.wants/$u"
done
ln -sf /lib/systemd/system/systemd-networkd.service "$units/multi-user.target.wants/"
# Nothing on a test VM should start downloading or scrubbing during a test.
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
         fstrim.timer man-db.timer systemd-networkd-wait-online.service; do
  ln -sf /dev/null "$units/$u"
done
# Root logs in on the serial console without a password (debugging by hand only).
chroot "$rootfs" passwd -d root >/dev/null
mkdir -p "$units/serial-getty@ttyS0.service.d"
printf '[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin root --keep-baud 115200 %%I $TERM\n' \
  > "$units/serial-getty@ttyS0.service.d/autologin.conf"
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/*

mkdir -p "$work/out"
cp "$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -n 1)" "$work/out/vmlinuz"
cp "$(ls "$rootfs"/boot/initrd.img-* | sort -V | tail -n 1)" "$work/out/initrd.img"
echo "root=/dev/vda rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 net.ifnames=1" \
  > "$work/out/cmdline"
truncate -s "$size" "$work/out/base.img"
mkfs.ext4 -q -F -L berth-root -d "$rootfs" "$work/out/base.img"
chmod 0444 "$work/out/base.img"
grep -v '^#' "$here/packages.list" | grep -v '^$' | while read -r p; do
  chroot "$rootfs" dpkg-query -W -f='${Package} ${Version}\n' "$p"
done > "$work/out/packages.versions"

rm -rf "$dir"
mv "$work/out" "$dir"
echo "$(( $(date +%s) - start ))" > "$dir/build-seconds"
touch "$dir/done"
echo "build-image: built $dir in $(cat "$dir/build-seconds") s" >&2
echo "$dir"
