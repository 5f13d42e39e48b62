#!/bin/bash
# Boots the cached guest image (vm/build-image.sh) under qemu's TCG in the foreground, on a
# copy-on-write overlay in RUN_DIR; the base image is never written. Ports are forwarded on the
# host's 127.0.0.1 only: CRI_PORT to the guest's 10010 (socat to /run/berth/berth.sock) and
# SHELL_PORT to its 10022 (one root bash per connection). SHARE_DIR, if given, is the guest's
# /mnt/berth over 9p. The serial console goes to RUN_DIR/console.log.
#
# Usage: vm/boot.sh IMAGE_DIR RUN_DIR CRI_PORT SHELL_PORT [SHARE_DIR]
# Stop it by its PID (SIGTERM; the guest's disk is thrown away), then vm/shutdown.sh RUN_DIR.
set -euo pipefail

[[ $# -ge 4 ]] || { sed -n '2,9p' "$0" >&2; exit 2; }
image=$1 run=$2 cri_port=$3 shell_port=$4 share=${5:-}
[[ -f $image/done ]] || { echo "boot: no image in $image (run vm/build-image.sh)" >&2; exit 1; }
mkdir -p "$run"
qemu-img create -q -f qcow2 -b "$image/base.img" -F raw "$run/overlay.qcow2"

# One host thread runs both vCPUs (thread=single): with a thread per vCPU (multi-threaded TCG)
# code that one vCPU had just written was now and then run stale by the other, and the JVM's
# freshly compiled methods crashed berthd in the guest (SIGSEGV at the entry of new C1 code,
# about one start in twenty here, more on CI) -- an emulator fault a real node does not have.
args=(
  -machine q35 -accel "tcg,thread=${BERTH_VM_TCG_THREAD:-single}" -cpu max -smp "${BERTH_VM_CPUS:-2}" -m "${BERTH_VM_MEMORY:-4096}"
  -nographic -monitor none -serial "file:$run/console.log"
  -kernel "$image/vmlinuz" -initrd "$image/initrd.img" -append "$(cat "$image/cmdline")"
  -drive "file=$run/overlay.qcow2,format=qcow2,if=virtio,cache=unsafe"
  -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$cri_port-:10010,hostfwd=tcp:127.0.0.1:$shell_port-:10022"
  -device virtio-net-pci,netdev=n0
  -device virtio-rng-pci
)
if [[ -n $share ]]; then
  args+=(-virtfs "local,path=$share,mount_tag=berth,security_model=none,readonly=on")
fi
echo $$ > "$run/qemu.pid"
exec qemu-system-x86_64 "${args[@]}"
