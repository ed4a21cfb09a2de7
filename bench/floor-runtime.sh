#!/usr/bin/env bash
# Prints the command that runs the start floor (src/test/java/io/sscsi/bench/FloorServer.java, a
# grpc-java epoll unix-socket server answering GetPluginInfo only) with the same runtime and JVM flags
# as a driver command prefix from deploy/hack/local-runtime.sh, and, when that prefix names a class
# archive (an AOT cache or a dynamic AppCDS archive), with one of the same kind of the floor's own,
# trained as the driver's is (start, one call, exit):
#
#   bench/floor-runtime.sh "$(deploy/hack/local-runtime.sh | tail -1)" [DIR]   # -> ... -cp ... FloorServer
#
# The floor's class path is a jar of its classes plus the driver's jar (the gRPC, Netty and protobuf
# classes it uses come from there; nothing else loads). Needs target/test-classes. Progress on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
read -ra PREFIX <<< "$1"
DIR=$(mkdir -p "${2:-target/bench/floor}" && cd "${2:-target/bench/floor}" && pwd)
jar=""; aot=""; out=()
for ((i = 0; i < ${#PREFIX[@]}; i++)); do
  w=${PREFIX[$i]}
  case $w in
    -jar) jar=${PREFIX[$((i + 1))]}; i=$((i + 1)) ;;
    -XX:AOTCache=*) aot=aot ;;
    -XX:SharedArchiveFile=*) aot=jsa ;;
    *) out+=("$w") ;;
  esac
done
[ -n "$jar" ] || { echo "floor-runtime: no -jar in the prefix" >&2; exit 2; }
# Rebuilt (and its archives dropped) only when the classes changed: a CDS archive is refused, silently
# with -Xshare:auto, when a jar on its class path has another modification time than at training.
if [ ! -f "$DIR/floor.jar" ] || [ -n "$(find target/test-classes/io/sscsi/bench -name 'FloorServer*.class' -newer "$DIR/floor.jar")" ]; then
  rm -f "$DIR/floor.jar" "$DIR"/floor-*.aot "$DIR"/floor-*.jsa
  (cd target/test-classes && jar cf "$DIR/floor.jar" io/sscsi/bench/FloorServer*.class)
fi
CP="$DIR/floor.jar:$jar"
if [ -n "$aot" ]; then
  cache=$DIR/floor-$(printf '%s' "${PREFIX[*]}" | sha256sum | cut -c1-12).$aot
  if [ "$aot" = aot ]; then
    train=(-XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining -XX:AOTCacheOutput="$cache") use=-XX:AOTCache
  else
    train=(-XX:ArchiveClassesAtExit="$cache") use=-XX:SharedArchiveFile
  fi
  if [ ! -s "$cache" ]; then
    echo "floor-runtime: training $cache" >&2
    "${out[@]}" -XX:MaxRAM=256m "${train[@]}" -cp "$CP" io.sscsi.bench.FloorServer "$DIR/train.sock" --exit >&2
  fi
  out+=("$use=$cache")
fi
echo "${out[*]} -cp $CP io.sscsi.bench.FloorServer"
