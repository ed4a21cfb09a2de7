#!/usr/bin/env bash
# Prepares on this machine what the driver image runs, and prints as its last (and only stdout) line
# the command prefix up to and including `-jar <jar>`:
#
#   deploy/hack/local-runtime.sh [--java JAVA] [--jar JAR] [--dir DIR] [--archive aot|cds|none]
#   $(deploy/hack/local-runtime.sh | tail -1) driver --endpoint unix:///tmp/csi.sock ...
#
# - the runtime: JAVA, default the Temurin 25 JDK at /usr/lib/jvm/temurin-25-jdk-amd64;
# - the DaemonSet's environment: its JAVA_TOOL_OPTIONS become command-line flags and MALLOC_ARENA_MAX is
#   set, both read from deploy/secrets-store-csi-driver.yaml (daemonset-env.sh); any inherited
#   JAVA_TOOL_OPTIONS/JDK_JAVA_OPTIONS/_JAVA_OPTIONS is dropped, so nothing else reaches the JVM;
# - the jar (default target/sscsi.jar) copied to DIR/sscsi.jar (default target/local-runtime), a fixed
#   path, since a class archive is tied to the class path; copied again only when its content changed;
# - the class archive, built by aot-train.sh exactly as the image build does, and reused while the jar,
#   the runtime, the flags and the training scripts are unchanged (a SHA-256 key beside it); it is
#   checked (-XX:AOTMode=on or -Xshare:on) before it is used:
#     --archive aot   (default) an AOT cache DIR/sscsi-<runtime>.aot, passed as -XX:AOTCache= (JDK 25+);
#     --archive cds   a dynamic AppCDS archive DIR/sscsi-<runtime>.jsa, passed as -XX:SharedArchiveFile=;
#     --archive none  no archive of the driver's own (--no-aot-cache is the same), e.g.
#                     `--java /usr/lib/jvm/java-17-openjdk-amd64/bin/java --archive none` for plain JDK 17.
# Progress goes to stderr.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JAR=$ROOT/target/sscsi.jar
DIR=$ROOT/target/local-runtime
ARCHIVE=aot
while [ $# -gt 0 ]; do
  case $1 in
    --java) JAVA=$2; shift 2 ;;
    --jar) JAR=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --archive) ARCHIVE=$2; shift 2 ;;
    --no-aot-cache) ARCHIVE=none; shift ;;
    *) echo "usage: $0 [--java JAVA] [--jar JAR] [--dir DIR] [--archive aot|cds|none]" >&2; exit 2 ;;
  esac
done
case $ARCHIVE in
  aot) EXT=aot CHECK=-XX:AOTMode=on USE=-XX:AOTCache ;;
  cds) EXT=jsa CHECK=-Xshare:on USE=-XX:SharedArchiveFile ;;
  none) ;;
  *) echo "local-runtime: --archive is aot, cds or none" >&2; exit 2 ;;
esac
[ -x "$JAVA" ] || { echo "local-runtime: no java at $JAVA" >&2; exit 2; }
[ -f "$JAR" ] || { echo "local-runtime: no jar at $JAR (build it: mvn -q -B -DskipTests package)" >&2; exit 2; }
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
JAVA=$(realpath "$JAVA")
[[ "$DIR$JAVA" != *[[:space:]]* ]] || { echo "local-runtime: paths with blanks cannot go into a command prefix" >&2; exit 2; }

# shellcheck source=deploy/hack/daemonset-env.sh
source "$HERE/daemonset-env.sh"
read -ra FLAGS <<< "$(daemonset_jvm_flags)"
MALLOC=$(daemonset_env MALLOC_ARENA_MAX 2>/dev/null || true)
PREFIX=(env -u JAVA_TOOL_OPTIONS -u JDK_JAVA_OPTIONS -u _JAVA_OPTIONS ${MALLOC:+MALLOC_ARENA_MAX=$MALLOC} "$JAVA" "${FLAGS[@]}")

if ! cmp -s "$JAR" "$DIR/sscsi.jar"; then
  cp "$JAR" "$DIR/sscsi.jar.tmp"
  mv -f "$DIR/sscsi.jar.tmp" "$DIR/sscsi.jar"
  echo "local-runtime: copied $JAR to $DIR/sscsi.jar" >&2
fi

if [ "$ARCHIVE" != none ]; then
  runtime=$(printf '%s' "$JAVA" | sha256sum)
  CACHE=$DIR/sscsi-${runtime:0:12}.$EXT
  key=$( { sha256sum < "$DIR/sscsi.jar"; "$JAVA" -version 2>&1; printf '%s\n' "$JAVA" "${FLAGS[@]}" "$MALLOC";
           cat "$HERE/aot-train.sh" "$HERE/daemonset-env.sh"; } | sha256sum)
  if [ -s "$CACHE" ] && [ "$(cat "$CACHE.key" 2>/dev/null)" = "$key" ]; then
    echo "local-runtime: reusing $CACHE (jar, runtime and flags unchanged)" >&2
  else
    echo "local-runtime: building $CACHE with aot-train.sh (about a minute)" >&2
    rm -f "$CACHE.key"
    "$HERE/aot-train.sh" "$JAVA" "$DIR/sscsi.jar" "$CACHE"
    printf '%s\n' "$key" > "$CACHE.key"
  fi
  if ! "${PREFIX[@]}" "$USE=$CACHE" "$CHECK" -jar "$DIR/sscsi.jar" --version > "$DIR/check.log" 2>&1; then
    echo "local-runtime: the JVM refuses $CACHE:" >&2
    cat "$DIR/check.log" >&2
    exit 1
  fi
  PREFIX+=("$USE=$CACHE")
fi
PREFIX+=(-jar "$DIR/sscsi.jar")
echo "${PREFIX[*]}"
