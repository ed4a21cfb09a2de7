#!/usr/bin/env bash
# Builds the driver's class archive by a training run that needs no cluster, no privileges and no
# network beyond loopback:
#
#   deploy/hack/aot-train.sh JAVA JAR OUT [extra JVM flags...]
#
#   JAVA     the java binary that will run the driver
#   JAR      the shaded jar at the path it will have at run time (the archive is tied to the class path)
#   OUT      the archive to write, by its name:
#            *.jsa  a dynamic AppCDS archive (JDK 13+, -XX:ArchiveClassesAtExit): the classes the run
#                   loaded, parsed and verified, loaded lazily at run time;
#                   production runs `JAVA <flags> -XX:SharedArchiveFile=OUT -jar JAR`
#            other  an AOT cache (JDK 25+, JEP 483/514/515, -XX:AOTCacheOutput): classes loaded and
#                   linked eagerly at start, plus method profiles;
#                   production runs `JAVA <flags> -XX:AOTCache=OUT -jar JAR`
#
# The training driver runs with the DaemonSet's JVM flags (JAVA_TOOL_OPTIONS of the driver container in
# deploy/secrets-store-csi-driver.yaml, read by daemonset-env.sh; set SSCSI_DAEMONSET_YAML when the
# manifest is not at ../secrets-store-csi-driver.yaml from here) plus the extra flags, in local mode
# (--local-classes, --local-state, --no-tmpfs) with metrics and admin endpoints on ephemeral loopback
# ports, against the bundled file provider on a socket in a temporary directory. `sscsi cycles` plays
# kubelet for $SSCSI_TRAIN_CYCLES (default 30) volumes, the endpoints are scraped once, then the driver
# gets SIGTERM and writes the archive as it exits. Every inherited JVM option variable is cleared, so
# only these flags reach the JVMs. Needs bash and coreutils only (no procps, no curl); runs as any user.
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: $0 JAVA JAR OUT_AOT [extra JVM flags...]" >&2; exit 2; }
JAVA=$1 JAR=$2 OUT=$3
shift 3
EXTRA=("$@")
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/hack/daemonset-env.sh
source "$HERE/daemonset-env.sh"
read -ra FLAGS <<< "$(daemonset_jvm_flags)"
MALLOC=$(daemonset_env MALLOC_ARENA_MAX 2>/dev/null || true)
unset JAVA_TOOL_OPTIONS JDK_JAVA_OPTIONS _JAVA_OPTIONS JDK_AOT_VM_OPTIONS
[ -x "$JAVA" ] || { echo "aot-train: $JAVA is not executable" >&2; exit 2; }
[ -f "$JAR" ] || { echo "aot-train: no jar at $JAR" >&2; exit 2; }
case $JAR in /*) ;; *) echo "aot-train: JAR must be an absolute path (the archive records it)" >&2; exit 2 ;; esac
case $OUT in *.jsa) OUTPUT_FLAG=-XX:ArchiveClassesAtExit ;; *) OUTPUT_FLAG=-XX:AOTCacheOutput ;; esac
mkdir -p "$(dirname "$OUT")"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sscsi-aot-train.XXXXXX")
DRIVER_PID="" PROVIDER_PID=""
stop() { # SIGTERM, then wait; SIGKILL after 300 s (the driver assembles the cache before it exits)
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 3000; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop "$DRIVER_PID"
  stop "$PROVIDER_PID"
  rm -rf "$WORK" "$OUT.tmp" "$OUT.tmp.config"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
  echo "aot-train: $*" >&2
  for log in "$WORK"/*.log; do [ -f "$log" ] && { echo "--- $log (last 40 lines)" >&2; tail -n 40 "$log" >&2; }; done
  exit 1
}

# What the training serves: one class, two objects (one in a subdirectory) from the file provider.
mkdir -p "$WORK/classes" "$WORK/objects/db" "$WORK/providers" "$WORK/state" "$WORK/kubelet/pods"
printf 'admin' > "$WORK/objects/user"
printf 'training-only-not-a-secret' > "$WORK/objects/db/password"
cat > "$WORK/classes/train.yaml" <<'EOF'
apiVersion: secrets-store.csi.x-k8s.io/v1
kind: SecretProviderClass
metadata:
  name: train
  namespace: aot-training
spec:
  provider: file
  parameters:
    objects: |
      array:
        - |
          objectName: user
        - |
          objectName: db/password
          objectAlias: password
EOF

"$JAVA" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$JAR" provider file --root "$WORK/objects" \
  --endpoint "unix://$WORK/providers/file.sock" > "$WORK/provider.log" 2>&1 &
PROVIDER_PID=$!

# The cache is written from a buffer as large as the class space, and the DaemonSet's -XX:MaxMetaspaceSize
# (96m) shrinks the class space below what the driver's classes need ("Unable to allocate from 'ro'
# region"). The training run alone gets room (TRAIN_ONLY, before the extras); at run time the cache is
# mapped outside metaspace, so the DaemonSet's limit stays as it is.
TRAIN_ONLY=(-XX:MaxMetaspaceSize=256m -XX:CompressedClassSpaceSize=256m)
env ${MALLOC:+MALLOC_ARENA_MAX=$MALLOC} \
  "$JAVA" "${FLAGS[@]}" "${TRAIN_ONLY[@]}" "${EXTRA[@]}" "$OUTPUT_FLAG=$OUT.tmp" -jar "$JAR" \
  driver --endpoint "unix://$WORK/csi.sock" --nodeid aot-training \
  --local-classes "$WORK/classes" --local-state "$WORK/state" --no-tmpfs --kubelet-dir "$WORK/kubelet" \
  --provider-volume "$WORK/providers" --additional-provider-volume-paths= \
  --metrics-addr=127.0.0.1:0 --admin-addr=127.0.0.1:0 > "$WORK/driver.log" 2>&1 &
DRIVER_PID=$!

for ((i = 0; i < 3000; i++)); do
  [ -S "$WORK/csi.sock" ] && [ -S "$WORK/providers/file.sock" ] && break
  kill -0 "$DRIVER_PID" 2>/dev/null || fail "the driver exited before serving"
  kill -0 "$PROVIDER_PID" 2>/dev/null || fail "the file provider exited before serving"
  sleep 0.1
done
[ -S "$WORK/csi.sock" ] || fail "no CSI socket after 300 s"

"$JAVA" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$JAR" cycles --endpoint "unix://$WORK/csi.sock" \
  --target-dir "$WORK/kubelet/pods" --class train --namespace aot-training --count "${SSCSI_TRAIN_CYCLES:-30}" \
  > "$WORK/cycles.log" 2>&1 || fail "the publish cycles failed"

# One scrape of each HTTP endpoint, as Prometheus and an operator would (bash's /dev/tcp, no curl).
scrape() {
  local port=$1 path=$2
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 0
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
  while IFS= read -r -t 30 _ <&3; do :; done
  exec 3>&-
}
while IFS= read -r line; do
  if [[ $line =~ admin\ endpoint\ on\ [^:]*:([0-9]+),\ metrics\ on\ [^:]*:([0-9]+) ]]; then
    scrape "${BASH_REMATCH[1]}" /healthz; scrape "${BASH_REMATCH[1]}" /readyz; scrape "${BASH_REMATCH[1]}" /volumes
    scrape "${BASH_REMATCH[2]}" /metrics
    echo "aot-train: scraped the admin (:${BASH_REMATCH[1]}) and metrics (:${BASH_REMATCH[2]}) endpoints" >&2
    break
  fi
done < "$WORK/driver.log"

stop "$DRIVER_PID"
DRIVER_PID=""
[ -s "$OUT.tmp" ] || fail "the driver exited without writing an archive"
mv -f "$OUT.tmp" "$OUT"
echo "aot-train: wrote $OUT ($(wc -c < "$OUT") bytes) for $JAR" >&2
