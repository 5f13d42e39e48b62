#!/bin/sh
# Trains the AOT cache of berthd (JEP 514/515): starts berthd on throwaway directories, drives a
# few CRI calls through berthctl, stops it with SIGTERM; the JVM writes the cache on exit.
# Optional: if training fails, berthd still runs, only its start-up is slower.
#
#   train-aot.sh                  the build tree: bin/berthd, cache in cri-server/target
#   train-aot.sh BINDIR JARDIR    an installed tree (make install): BINDIR/berthd, cache in JARDIR
#   train-aot.sh BINDIR JARDIR NAME
#                                 another launcher of the template (make bench's grpc-floor):
#                                 BINDIR/NAME, cache JARDIR/NAME.aot, driven with BINDIR/berthctl
#
# The cache belongs to the java that trained it (the launcher picks the same one: the jlinked
# runtime in JARDIR/jre when there is one), so an installed tree is trained by its own launcher.
set -u
top=$(CDPATH= cd -- "$(dirname -- "$0")/../../../.." && pwd)
bin=${1:-$top/bin}
jars=${2:-$top/cri-server/target}
name=${3:-berthd}
who=build
[ $# -gt 0 ] && who=install
[ $# -gt 2 ] && who=$name
out="$jars/$name.aot"
work=$(mktemp -d /tmp/berth-aot.XXXXXX)
trap 'rm -rf "$work"' EXIT
rm -f "$out" "$out.jars"
# The configuration sets keys (to their defaults) so that the cache also holds the TOML reader
# that production files, which set at least the cgroup driver, go through.
printf '[runtime]\ncgroup_driver = "cgroupfs"\n[images]\npinned = []\n' > "$work/config.toml"
# berth.aot_training: berthd also runs its pull path on a synthetic layer, and writes and reopens
# a snapshot and an image record, before it serves (PullPathTraining), so that the cache holds
# those paths' classes too. No method profiles (-AOTRecordTraining): only C2 reads them, and
# berthd runs C1 alone; without them the cache is 1.3 MB smaller and berthd with 20 pods 2.5-2.9 MB
# lighter (PSS, `make bench`), start and first pod unchanged.
BERTH_JAVA_OPTS="-XX:AOTCacheOutput=$out -XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining \
  -Dberth.aot_training=true -Xlog:aot=off -Xlog:cds=off" \
  "$bin/$name" --config "$work/config.toml" --root "$work/root" --state "$work/state" >"$work/log" 2>&1 &
pid=$!
i=0
while [ ! -S "$work/state/berth.sock" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
for n in 1 2 3 4 5; do
  "$bin/berthctl" -r "unix://$work/state/berth.sock" version >/dev/null 2>&1
  "$bin/berthctl" -r "unix://$work/state/berth.sock" info >/dev/null 2>&1
done
kill -TERM "$pid"
wait "$pid"
if [ -f "$out" ]; then
  # The jars this cache was trained with, named relative to the jar directory; the launcher
  # compares them at every start.
  (cd "$jars" && stat -L -c '%n %s %Y' cri-server.jar lib/*.jar) > "$out.jars"
  echo "$who: trained AOT cache $out"
else
  echo "$who: warning: AOT cache training failed; $name will start without it" >&2
  cat "$work/log" >&2
fi
exit 0
