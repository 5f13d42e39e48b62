#!/bin/bash
# Stops the VM that vm/boot.sh started in RUN_DIR (by the PID it wrote: SIGTERM, then SIGKILL
# after 10 s) and removes RUN_DIR with the guest's overlay disk. Safe to run twice.
# Usage: vm/shutdown.sh RUN_DIR
set -uo pipefail
run=${1:?usage: vm/shutdown.sh RUN_DIR}
if [[ -f $run/qemu.pid ]]; then
  pid=$(cat "$run/qemu.pid")
  # Only a qemu this run started: the PID must still be a qemu-system process.
  if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == qemu-system-x86* ]]; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
fi
rm -rf "$run"
