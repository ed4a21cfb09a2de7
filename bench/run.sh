#!/usr/bin/env bash
# sscsi benchmark: one command, run as root from anywhere.
#   bench/run.sh                      # everything (about 6-8 minutes on 2 CPUs)
#   bench/run.sh --quick              # fewer cycles, no 10,000-volume step
#   bench/run.sh --phases=floor,latency --main-jvm=serial-c1-64m
# Builds what is missing (the jar and test classes with Maven, the syscall floor with gcc), starts the
# driver (java -jar target/sscsi.jar driver, local mode) and a zero-latency provider as separate
# processes, plays kubelet on the CSI socket, and writes bench/results/<timestamp>.json and .md.
# Every tmpfs it mounted is unmounted at the end, also on failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/run.sh: run as root (it mounts tmpfs)" >&2; exit 2; }

if [ ! -f target/sscsi.jar ] || [ ! -f target/test-classes/io/sscsi/bench/PublishBench.class ]; then
  echo "building target/sscsi.jar and test classes (mvn -q -B -DskipTests package)"
  mvn -q -B -DskipTests package
fi
if [ ! -s target/cp.txt ]; then
  mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/cp.txt
fi
mkdir -p target/bench bench/results
gcc -O2 -Wall -pthread -o target/bench/floor bench/floor.c

WORK=$(mktemp -d /tmp/sscsi-bench.XXXXXX)
cleanup() {
  # The Java side stops its children and unmounts; this is the safety net if it was killed.
  { grep -o " $WORK/[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" || true
  done
  rm -rf "$WORK" || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

OUT=bench/results/$(date -u +%Y%m%dT%H%M%SZ)
java -Xmx1g -XX:+UseSerialGC -cp "target/test-classes:target/classes:$(cat target/cp.txt)" io.sscsi.bench.PublishBench \
  --jar=target/sscsi.jar --floor=target/bench/floor --work="$WORK" --out="$OUT" "$@"
