#!/usr/bin/env bash
# The sync controller's cost (issue 20): API requests and provider calls per phase, and its heap, with N
# SecretSyncs (default 1000) against fabric8's mock API server, timers on ManualTime (SyncControllerBench).
#   bench/sync-controller.sh [N]
# No root needed. Builds the test classes and the classpath file when missing; prints a Markdown report.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f target/test-classes/io/sscsi/bench/SyncControllerBench.class ]; then
  mvn -q -B -o test-compile
fi
if [ ! -s target/cp.txt ]; then
  mvn -q -B -o dependency:build-classpath -Dmdep.outputFile=target/cp.txt
fi
exec java -Xmx512m -XX:+UseSerialGC -XX:NativeMemoryTracking=summary \
  -cp "target/test-classes:target/classes:$(cat target/cp.txt)" io.sscsi.bench.SyncControllerBench "${1:-1000}" \
  2> >(grep -v " INFO \| DEBUG " >&2)
