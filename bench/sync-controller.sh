#!/usr/bin/env bash
# The sync controller's cost (issue 20), N SecretSyncs (default 1000) in 10 namespaces. No root needed.
#   bench/sync-controller.sh [N]
# Part 1 (SyncControllerBench): cluster mode in one JVM against fabric8's mock API server, the actors'
# timers on ManualTime: API requests by verb and resource and provider calls per phase, and the heap the
# controller holds. Part 2: a real `sscsi sync-controller` process in local mode: its RSS, heap and NMT.
# Builds the classes and the classpath file when missing; prints a Markdown report on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f target/test-classes/io/sscsi/bench/SyncControllerBench.class ]; then
  mvn -q -B -o test-compile
fi
if [ ! -s target/cp.txt ]; then
  mvn -q -B -o dependency:build-classpath -Dmdep.outputFile=target/cp.txt
fi
java -Xmx512m -XX:+UseSerialGC -XX:NativeMemoryTracking=summary \
  -cp "target/test-classes:target/classes:$(cat target/cp.txt)" io.sscsi.bench.SyncControllerBench "${1:-1000}" \
  2> >(grep -v ' INFO \| DEBUG ' >&2)
# Part 2: the real process's memory, in local mode (the same actors and sync runs; files instead of the API
# server, the bundled file provider in-process), with the image's JVM flags (deploy/Dockerfile, no AOT cache,
# heap capped as MaxRAMPercentage=50 caps it under the chart's 256Mi limit) and NMT.
N=${1:-1000}
WORK=$(mktemp -d /tmp/sscsi-sync-bench.XXXXXX)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/manifests" "$WORK/secrets" "$WORK/out"
printf 'value-1' > "$WORK/secrets/password"
printf 'app' > "$WORK/secrets/user"
for ns in $(seq 0 9); do
  printf -- '---\napiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata: {name: db-spc, namespace: ns-%d}\nspec:\n  provider: file\n  parameters:\n    objects: |\n      array:\n        - |\n          objectName: password\n        - |\n          objectName: user\n' "$ns"
done > "$WORK/manifests/classes.yaml"
for i in $(seq 0 $((N - 1))); do
  printf -- '---\napiVersion: secret-sync.x-k8s.io/v1alpha1\nkind: SecretSync\nmetadata: {name: sync-%d, namespace: ns-%d}\nspec:\n  serviceAccountName: default\n  secretProviderClassName: db-spc\n  secretObject:\n    data:\n      - {sourcePath: password, targetKey: DB_PASSWORD}\n      - {sourcePath: user, targetKey: DB_USER}\n' "$i" $((i % 10))
done > "$WORK/manifests/secretsyncs.yaml"
java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=32m -XX:MaxMetaspaceSize=96m \
  -XX:MaxDirectMemorySize=48m -Xss512k -XX:NativeMemoryTracking=summary \
  -cp "target/classes:$(cat target/cp.txt)" io.sscsi.Main sync-controller --admin-addr= \
  --local-classes "$WORK/manifests" --local-secretsyncs "$WORK/manifests" --local-secrets-out "$WORK/out" \
  --local-file-provider "$WORK/secrets" > "$WORK/controller.log" 2>&1 &
PID=$!
START=$(date +%s)
until [ "$(find "$WORK/out" -name '*.yaml' | wc -l)" -ge "$N" ]; do
  kill -0 "$PID" 2>/dev/null || { echo "the controller exited:"; tail -20 "$WORK/controller.log"; exit 1; }
  [ $(( $(date +%s) - START )) -lt 1200 ] || { echo "not all $N Secrets written in 20 min"; exit 1; }
  sleep 2
done
echo
echo "## Local-mode process, $N SecretSyncs written ($(( $(date +%s) - START )) s after start), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "- RSS: $(awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' "/proc/$PID/status")"
jcmd "$PID" GC.run > /dev/null
echo "- heap after a full GC: $(jcmd "$PID" GC.heap_info | awk '/total/ {print; exit}' | sed 's/^ *//')"
echo "- RSS after the GC: $(awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' "/proc/$PID/status")"
echo "- NMT: $(jcmd "$PID" VM.native_memory summary scale=MB | grep -E '^Total' | sed 's/^ *//')"
jcmd "$PID" VM.native_memory summary scale=MB | grep -E '^-  *(Java Heap|Class|Thread|Code|GC|Internal|Other|Metaspace|Symbol|Arena)' \
  | sed 's/^- */  - /; s/  */ /g'
