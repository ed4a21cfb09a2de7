#!/usr/bin/env bash
# sscsi benchmark: one command, run as root from anywhere.
#   bench/run.sh                      # everything (about 6-8 minutes on 2 CPUs)
#   bench/run.sh --quick              # fewer cycles, no 10,000-volume step
#   bench/run.sh --phases=floor,latency --main-jvm=serial-c1-64m
#   bench/run.sh --quick --phases=cpu --jar=OLD.jar --jar-b=NEW.jar   # A/B of driver CPU per cycle, by thread group
#   bench/run.sh --pod [--quick]      # pod mode: the driver inside the DaemonSet's cgroup limits (PodBench),
#                                     # with the start floor (FloorServer); SSCSI_OLD_RUNTIME=FILE adds an A/B runtime `old`;
#                                     # SSCSI_RUNTIMES="name:local-runtime.sh args;..." replaces the `jdk17` runtime, e.g.
#                                     # SSCSI_RUNTIMES="jdk17cds:--java /usr/lib/jvm/java-17-openjdk-amd64/bin/java --archive cds"
# Builds what is missing (the jar and test classes with Maven, the syscall floor with gcc), starts the
# driver (java -jar target/sscsi.jar driver, local mode) and a zero-latency provider as separate
# processes, plays kubelet on the CSI socket, and writes bench/results/<timestamp>.json and .md.
# Every tmpfs it mounted is unmounted at the end, also on failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
POD=no
if [ "${1:-}" = --pod ]; then POD=yes; shift; fi
[ "$(id -u)" = 0 ] || { echo "bench/run.sh: run as root (it mounts tmpfs)" >&2; exit 2; }

if [ ! -f target/sscsi.jar ] || [ ! -f target/test-classes/io/sscsi/bench/PublishBench.class ]; then
  echo "building target/sscsi.jar and test classes (mvn -q -B -DskipTests package)"
  mvn -q -B -DskipTests package
fi
if [ ! -s target/cp.txt ]; then
  mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/cp.txt
fi
mkdir -p target/bench bench/results

WORK=$(mktemp -d /tmp/sscsi-bench.XXXXXX)
CGROUPS=sscsi-pod-$$
cleanup() {
  # The Java side stops its children, unmounts and removes its cgroups; this is the safety net if it was killed.
  find /sys/fs/cgroup -maxdepth 6 -type d -name "$CGROUPS-*" 2>/dev/null | while read -r g; do
    for pid in $(cat "$g/cgroup.procs" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$g" 2>/dev/null && break; sleep 0.5; done
  done
  { grep -o " $WORK/[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" || true
  done
  rm -rf "$WORK" || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

OUT=bench/results/$(date -u +%Y%m%dT%H%M%SZ)
CP="target/test-classes:target/classes:$(cat target/cp.txt)"
if [ "$POD" = yes ]; then
  unset JAVA_TOOL_OPTIONS JDK_JAVA_OPTIONS _JAVA_OPTIONS
  # The shipped runtime (image's JDK, DaemonSet flags, class archive) and others with the same flags, each
  # with its start floor (FloorServer on that runtime and kind of archive): by default JDK 17 without an archive.
  JDK17=${SSCSI_JDK17:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
  deploy/hack/local-runtime.sh | tail -1 > "$WORK/shipped.cmd"
  RUNTIMES="shipped=$WORK/shipped.cmd"
  IFS=';' read -ra VARIANTS <<< "${SSCSI_RUNTIMES:-jdk17:--java $JDK17 --archive none}"
  for v in "${VARIANTS[@]}"; do
    read -ra vargs <<< "${v#*:}"
    deploy/hack/local-runtime.sh "${vargs[@]}" | tail -1 > "$WORK/${v%%:*}.cmd"
    RUNTIMES="$RUNTIMES,${v%%:*}=$WORK/${v%%:*}.cmd"
  done
  FLOORS=""
  for r in ${RUNTIMES//,/ }; do
    n=${r%%=*}
    bench/floor-runtime.sh "$(cat "$WORK/$n.cmd")" "target/bench/floor-$n" > "$WORK/floor-$n.cmd"
    FLOORS="${FLOORS:+$FLOORS,}$n=$WORK/floor-$n.cmd"
  done
  if [ -n "${SSCSI_OLD_RUNTIME:-}" ]; then # A/B in the same run: a file holding an older checkout's
    # `deploy/hack/local-runtime.sh | tail -1` (its jar, flags and AOT cache as that checkout built them)
    cp "$SSCSI_OLD_RUNTIME" "$WORK/old.cmd"
    RUNTIMES="$RUNTIMES,old=$WORK/old.cmd"
  fi
  java -Xmx1g -XX:+UseSerialGC -cp "$CP" io.sscsi.bench.PodBench --work="$WORK" --out="$OUT-pod" \
    --cgroup-prefix="$CGROUPS" --runtimes="$RUNTIMES" \
    --floors="$FLOORS" "$@"
  exit
fi
gcc -O2 -Wall -pthread -o target/bench/floor bench/floor.c
java -Xmx1g -XX:+UseSerialGC -cp "$CP" io.sscsi.bench.PublishBench \
  --jar=target/sscsi.jar --floor=target/bench/floor --work="$WORK" --out="$OUT" --cgroup-prefix="$CGROUPS" "$@"
