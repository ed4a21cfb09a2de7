#!/usr/bin/env bash
# Summarises a JFR recording's execution samples: the hottest top frames and the share of samples
# whose stack contains each of a few packages/methods. Usage: bench/profile-summary.sh FILE.jfr [TOP]
set -euo pipefail
f=$1; top=${2:-25}
jfr print --events jdk.ExecutionSample --stack-depth 64 "$f" > "$f.txt"
total=$(grep -c 'jdk.ExecutionSample' "$f.txt" || true)
echo "execution samples: $total"
echo "--- top frames"
awk '/stackTrace = \[/{getline; sub(/^[ \t]+/, ""); sub(/line:.*/, ""); print}' "$f.txt" | sort | uniq -c | sort -rn | head -"$top"
echo "--- samples whose stack contains (inclusive share)"
for p in io.sscsi.fs.AtomicWriter io.sscsi.fs.TreeDeleter io.sscsi.fs.JnrMounter io.sscsi.local.LocalProviderClassSource \
    io.sscsi.local.LocalPodStatusStore io.sscsi.provider io.sscsi.csi.LogSanitizer ch.qos.logback kamon io.grpc \
    org.apache.pekko io.sscsi.volume.PublishWorkflow jnr. java.nio.file tools.jackson org.yaml snakeyaml; do
  n=$(awk -v p="$p" 'BEGIN{RS="jdk.ExecutionSample"} index($0, p){c++} END{print c+0}' "$f.txt")
  printf '%6d  %5.1f%%  %s\n' "$n" "$(echo "100*$n/($total+0.0001)" | bc -l)" "$p"
done
