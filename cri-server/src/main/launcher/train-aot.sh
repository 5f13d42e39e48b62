#!/bin/sh
# Trains the AOT cache of bin/berthd (JEP 514/515): starts berthd on throwaway directories,
# drives a few CRI calls through bin/berthctl, stops it with SIGTERM; the JVM writes the cache
# on exit. Optional: if training fails, berthd still runs, only its start-up is slower.
set -u
top=$(CDPATH= cd -- "$(dirname -- "$0")/../../../.." && pwd)
out="$top/cri-server/target/berthd.aot"
work=$(mktemp -d /tmp/berth-aot.XXXXXX)
trap 'rm -rf "$work"' EXIT
rm -f "$out" "$out.jars"
BERTH_JAVA_OPTS="-XX:AOTCacheOutput=$out -Xlog:aot=off -Xlog:cds=off" \
  "$top/bin/berthd" --config /dev/null --root "$work/root" --state "$work/state" >"$work/log" 2>&1 &
pid=$!
i=0
while [ ! -S "$work/state/berth.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
for n in 1 2 3 4 5; do
  "$top/bin/berthctl" -r "unix://$work/state/berth.sock" version >/dev/null 2>&1
  "$top/bin/berthctl" -r "unix://$work/state/berth.sock" info >/dev/null 2>&1
done
kill -TERM "$pid"
wait "$pid"
if [ -f "$out" ]; then
  # The jars this cache was trained with; the launcher compares them at every start.
  (cd "$top/cri-server/target" && stat -L -c '%n %s %Y' cri-server.jar lib/*.jar) > "$out.jars"
  echo "build: trained AOT cache $out"
else
  echo "build: warning: AOT cache training failed; berthd will start without it" >&2
  cat "$work/log" >&2
fi
exit 0
