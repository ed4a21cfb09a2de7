#!/usr/bin/env bash
# Builds deploy/Dockerfile for real and runs what it built, without a Docker engine. CI runs it
# (.ci/run); run it as root from anywhere:  deploy/hack/image-test.sh
#
# 1. Stand-in base images, made locally and kept between runs (rebuilt only when missing):
#    - build:   `debootstrap --variant=minbase` of this machine's Debian release, with Debian's
#               JDK 17 and Maven, for maven:3.9-eclipse-temurin-17;
#    - runtime: the same minimal Debian with this machine's Temurin 25 copied to /opt/java/openjdk
#               (bin/ cut to a JRE's commands, so nothing can lean on jcmd or javac), for
#               eclipse-temurin:25-jre.
# 2. `podman build --isolation=chroot --network=host` of deploy/Dockerfile on them, AOT training
#    run included. The build stage sees the host's ~/.m2/repository through an overlay (writes are
#    thrown away) so it does not download again what `mvn test` just did; anything missing comes
#    from Maven Central. SSCSI_IMAGE_TEST_M2=none builds without it, as a fresh docker build would.
# 3. The image's file system, mounted read-only as the DaemonSet's readOnlyRootFilesystem, with the
#    image's own environment (JAVA_TOOL_OPTIONS with its AOT cache flag, MALLOC_ARENA_MAX) from
#    `podman inspect`, in chroot with /proc, /dev and an empty /tmp (the DaemonSet's emptyDir):
#    - `java -jar /app/sscsi.jar --version`, once more with -XX:AOTMode=on (fails unless the JVM
#      maps the cache);
#    - the driver in local mode; GetPluginInfo on its socket, called from outside the chroot with the
#      jar's own client (PluginInfoCheck.java); then SIGTERM.
#    Neither log may hold an AOT/CDS warning or error: a cache that does not match the flags is
#    dropped with one. DockerfileTest keeps the image's JAVA_TOOL_OPTIONS equal to the DaemonSet's,
#    so this is also the pod's start.
# Everything it mounts, starts or creates is removed on exit, the stand-in images excepted.
# `podman run` does not work on these machines; chroot does. Prints each step; on failure, the step
# that failed and the end of its log.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TEMURIN=${SSCSI_IMAGE_TEST_TEMURIN:-/usr/lib/jvm/temurin-25-jdk-amd64}
MIRROR=${SSCSI_IMAGE_TEST_MIRROR:-http://deb.debian.org/debian}
M2=${SSCSI_IMAGE_TEST_M2:-$HOME/.m2/repository}
IMAGE=localhost/sscsi-image-test/driver:$$

START=$SECONDS
STEP="start"
step() {
  STEP=$1
  printf 'image-test [%4ds] %s\n' $((SECONDS - START)) "$STEP"
}
fail() { # the reason; the EXIT trap names the step
  echo "image-test: $*" >&2
  exit 1
}
show_log() { # the end of a log, on failure
  [ -f "$1" ] && { echo "--- $1 (last ${2:-40} lines)" >&2; tail -n "${2:-40}" "$1" >&2; }
  return 0
}

WORK="" MOUNTED="" DRIVER_PID="" BUILT=""
cleanup() {
  local rc=$?
  set +e # remove everything, whatever fails
  if [ -n "$DRIVER_PID" ] && kill -0 "$DRIVER_PID" 2>/dev/null; then
    kill -KILL "$DRIVER_PID" 2>/dev/null || true
    wait "$DRIVER_PID" 2>/dev/null || true
  fi
  [ -n "$MOUNTED" ] && { podman image unmount "$IMAGE" >/dev/null 2>&1 || true; }
  [ -n "$BUILT" ] && { podman rmi -f "$IMAGE" >/dev/null 2>&1 || true; }
  if [ -n "$WORK" ]; then
    # whatever a failed debootstrap left mounted in its target (proc, sys), innermost first
    while read -r _ mnt _; do
      if [[ $mnt == "$WORK"/* ]]; then echo "$mnt"; fi
    done < /proc/self/mounts | sort -r | while read -r mnt; do umount -l "$mnt"; done
    rm -rf --one-file-system "$WORK"
  fi
  if [ "$rc" -ne 0 ]; then
    echo "image-test: FAILED in step '$STEP' (exit $rc) after $((SECONDS - START)) s" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- tools ---------------------------------------------------------------------------------
step "tools: podman, debootstrap, a JDK for the client, Temurin 25 for the runtime stand-in"
[ "$(id -u)" = 0 ] || fail "run as root (chroot, mounts, podman's root storage)"
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  echo "image-test: installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v java >/dev/null || fail "no java on PATH (the GetPluginInfo client needs a JDK 17 or later)"
[ -x "$TEMURIN/bin/java" ] || fail "no Temurin runtime at $TEMURIN (set SSCSI_IMAGE_TEST_TEMURIN)"
. /etc/os-release
SUITE=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
RUNTIME_VERSION=$(. "$TEMURIN/release" && echo "${JAVA_RUNTIME_VERSION:?}")
# This machine's own trust anchors (e.g. a TLS-intercepting egress proxy's CA): the build stand-in
# trusts them too, or Maven and protoc-jar could not download through this machine's network, as
# maven:3.9-eclipse-temurin-17 can through a plain one. They are part of the image's tag.
LOCAL_CAS=(/usr/local/share/ca-certificates/*.crt)
[ -e "${LOCAL_CAS[0]}" ] || LOCAL_CAS=()
CA_KEY=$(cat "${LOCAL_CAS[@]}" /dev/null | sha256sum)
BUILD_BASE=localhost/sscsi-image-test/build:$SUITE-jdk17-maven-ca${CA_KEY:0:8}
RUNTIME_BASE=localhost/sscsi-image-test/runtime:$SUITE-temurin-${RUNTIME_VERSION//+/_}
WORK=$(mktemp -d /tmp/sscsi-image-test.XXXXXX)
echo "image-test: $(podman --version), Debian $SUITE, runtime Temurin $RUNTIME_VERSION, work dir $WORK"

# ---- stand-in base images ------------------------------------------------------------------
minbase() { # DIR: a minimal Debian of this machine's release, apt caches emptied
  debootstrap --variant=minbase "$SUITE" "$1" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 \
    || { show_log "$WORK/debootstrap.log"; fail "debootstrap $SUITE from $MIRROR"; }
}
clean_apt() {
  rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*
}
import() { # DIR IMAGE [--change ...]: the directory as a one-layer image
  local dir=$1 image=$2
  shift 2
  tar -C "$dir" -c . | podman import "$@" - "$image" > "$WORK/import.log" 2>&1 \
    || { show_log "$WORK/import.log"; fail "podman import $image"; }
}
PATHS=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if podman image exists "$RUNTIME_BASE" && podman image exists "$BUILD_BASE"; then
  step "stand-in base images: cached ($BUILD_BASE, $RUNTIME_BASE)"
else
  step "stand-in base images: debootstrap --variant=minbase $SUITE"
  minbase "$WORK/base"
  clean_apt "$WORK/base"
  if ! podman image exists "$RUNTIME_BASE"; then
    step "stand-in runtime image: minbase + Temurin $RUNTIME_VERSION as /opt/java/openjdk"
    cp -a "$WORK/base" "$WORK/runtime"
    mkdir -p "$WORK/runtime/opt/java"
    cp -a "$TEMURIN" "$WORK/runtime/opt/java/openjdk"
    # a JRE's commands only (eclipse-temurin:25-jre's bin/), and no headers, man pages or sources
    for tool in "$WORK/runtime/opt/java/openjdk/bin/"*; do
      case ${tool##*/} in java | jfr | jrunscript | jwebserver | keytool | rmiregistry) ;; *) rm -f "$tool" ;; esac
    done
    rm -rf "$WORK/runtime/opt/java/openjdk/"{include,man,jmods,lib/src.zip,lib/ct.sym}
    import "$WORK/runtime" "$RUNTIME_BASE" --change "ENV JAVA_HOME=/opt/java/openjdk" \
      --change "ENV PATH=/opt/java/openjdk/bin:$PATHS"
    rm -rf "$WORK/runtime"
  fi
  if ! podman image exists "$BUILD_BASE"; then
    step "stand-in build image: minbase + Debian's openjdk-17-jdk-headless and maven, ${#LOCAL_CAS[@]} local CA(s)"
    mkdir -p "$WORK/base/usr/local/share/ca-certificates"
    [ ${#LOCAL_CAS[@]} -eq 0 ] || cp "${LOCAL_CAS[@]}" "$WORK/base/usr/local/share/ca-certificates/"
    # /proc for the JDK's postinst, in a mount namespace of its own so that nothing stays mounted
    unshare --mount --pid --fork --mount-proc="$WORK/base/proc" chroot "$WORK/base" /bin/sh -c \
      'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless maven && update-ca-certificates' \
      > "$WORK/apt.log" 2>&1 || { show_log "$WORK/apt.log"; fail "apt-get install in the build stand-in"; }
    clean_apt "$WORK/base"
    import "$WORK/base" "$BUILD_BASE" --change "ENV PATH=$PATHS"
  fi
  rm -rf "$WORK/base"
fi

# ---- build ---------------------------------------------------------------------------------
VOLUMES=()
if [ "$M2" != none ] && [ -d "$M2" ]; then
  VOLUMES=(--volume "$M2:/root/.m2/repository:O")
  M2_NOTE="the host's $M2 as an overlay"
else
  M2_NOTE="no host Maven repository: dependencies from Maven Central"
fi
step "podman build deploy/Dockerfile (AOT training included; $M2_NOTE)"
BUILT=yes
if ! (cd "$ROOT" && podman build --isolation=chroot --network=host --layers=false \
      --build-arg BUILD_IMAGE="$BUILD_BASE" --build-arg RUNTIME_IMAGE="$RUNTIME_BASE" \
      "${VOLUMES[@]}" -f deploy/Dockerfile -t "$IMAGE" .) > "$WORK/build.log" 2>&1; then
  show_log "$WORK/build.log" 60
  fail "podman build"
fi
grep -E '^(\[[0-9]/[0-9]\] )?STEP|^aot-train|^sscsi ' "$WORK/build.log" | cut -c1-160 | sed 's/^/  | /' || true

# ---- the image's file system and configuration ---------------------------------------------
step "image config (podman inspect) and file system (podman image mount, read-only)"
ENV_LINES=$(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE")
image_env() { # NAME: its value in the image's configuration
  local line
  while IFS= read -r line; do
    [[ $line == "$1="* ]] && { printf '%s\n' "${line#*=}"; return 0; }
  done <<< "$ENV_LINES"
  return 1
}
JTO=$(image_env JAVA_TOOL_OPTIONS) || fail "the image sets no JAVA_TOOL_OPTIONS"
IMAGE_PATH=$(image_env PATH) || fail "the image sets no PATH"
MALLOC=$(image_env MALLOC_ARENA_MAX) || MALLOC=""
JDKO=$(image_env JDK_JAVA_OPTIONS) || JDKO=""
IMAGE_ENV=(PATH="$IMAGE_PATH" JAVA_TOOL_OPTIONS="$JTO")
[ -z "$MALLOC" ] || IMAGE_ENV+=(MALLOC_ARENA_MAX="$MALLOC")
[ -z "$JDKO" ] || IMAGE_ENV+=(JDK_JAVA_OPTIONS="$JDKO")
echo "  JAVA_TOOL_OPTIONS=$JTO"
[[ " $JTO " == *" -XX:AOTCache=/app/sscsi.aot "* ]] || fail "JAVA_TOOL_OPTIONS does not load /app/sscsi.aot"
ENTRYPOINT=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$IMAGE")
[ "$ENTRYPOINT" = '["java","-jar","/app/sscsi.jar"]' ] || fail "entrypoint is $ENTRYPOINT"
RFS=$(podman image mount "$IMAGE") || fail "podman image mount"
MOUNTED=yes
[ -s "$RFS/app/sscsi.jar" ] && [ -s "$RFS/app/sscsi.aot" ] || fail "no /app/sscsi.jar or /app/sscsi.aot in the image"
echo "  /app/sscsi.jar $(wc -c < "$RFS/app/sscsi.jar") bytes, /app/sscsi.aot $(wc -c < "$RFS/app/sscsi.aot") bytes"

# "${IN_IMAGE[@]}" CMD...: CMD in chroot on the image's file system with the image's environment, in a
# mount namespace of its own: the root read-only (as the DaemonSet runs it), /proc, the host's /dev,
# the host's /etc/hosts, /etc/hostname and /etc/resolv.conf (as a container runtime provides them),
# and $WORK/tmp as /tmp (the DaemonSet's emptyDir). The namespace and its mounts end with the
# process. Every step execs the next, so a background start's $! is the JVM's PID.
mkdir -p "$WORK/tmp"
IN_IMAGE=(unshare --mount -- /bin/sh -ec '
  rfs=$1; tmp=$2; shift 2
  mount --bind "$rfs" "$rfs"
  mount -o remount,bind,ro "$rfs"
  mount -t proc proc "$rfs/proc"
  mount --rbind /dev "$rfs/dev"
  for f in /etc/hosts /etc/hostname /etc/resolv.conf; do
    if [ -f "$f" ] && [ -f "$rfs$f" ]; then mount --bind "$f" "$rfs$f"; fi
  done
  mount --bind "$tmp" "$rfs/tmp"
  exec chroot "$rfs" "$@"' in-image "$RFS" "$WORK/tmp"
  env -i "${IMAGE_ENV[@]}")
no_aot_warning() { # LOG: fails when the JVM complained about its AOT cache or CDS archive
  if grep -n -i -E '\[(warning|error) *\]\[(aot|cds)|AOT cache|shared archive|CDS (will be )?disabled' "$1" >&2; then
    show_log "$1" 20
    fail "the JVM did not take its AOT cache cleanly (above)"
  fi
  grep -q 'Picked up JAVA_TOOL_OPTIONS: .*-XX:AOTCache=/app/sscsi.aot' "$1" \
    || { show_log "$1" 20; fail "the JVM did not run with the image's JAVA_TOOL_OPTIONS"; }
}

step "chroot: java -jar /app/sscsi.jar --version"
"${IN_IMAGE[@]}" java -jar /app/sscsi.jar --version > "$WORK/version.log" 2>&1 \
  || { show_log "$WORK/version.log"; fail "--version exited non-zero"; }
# --version is the driver's, as upstream's binary prints it: {"BuildVersion":...}
grep -E '"BuildVersion":"[^"]+"' "$WORK/version.log" | sed 's/^/  | /' || { show_log "$WORK/version.log"; fail "--version printed no version"; }
no_aot_warning "$WORK/version.log"
"${IN_IMAGE[@]}" java -XX:AOTMode=on -jar /app/sscsi.jar --version > "$WORK/aot-on.log" 2>&1 \
  || { show_log "$WORK/aot-on.log"; fail "with -XX:AOTMode=on the JVM refuses /app/sscsi.aot"; }
echo "  -XX:AOTMode=on: the JVM maps /app/sscsi.aot"

step "chroot: driver in local mode, GetPluginInfo on its socket"
mkdir -p "$WORK/tmp/classes" "$WORK/tmp/providers" "$WORK/tmp/csi"
"${IN_IMAGE[@]}" java -jar /app/sscsi.jar driver --endpoint unix:///tmp/csi/csi.sock --nodeid image-test \
  --provider-volume /tmp/providers --additional-provider-volume-paths= \
  --local-classes /tmp/classes --local-state /tmp/state --kubelet-dir /tmp/kubelet \
  --metrics-addr=127.0.0.1:0 --admin-addr=127.0.0.1:0 > "$WORK/driver.log" 2>&1 &
DRIVER_PID=$!
SOCKET=$WORK/tmp/csi/csi.sock
for ((i = 0; i < 1200; i++)); do
  [ -S "$SOCKET" ] && break
  kill -0 "$DRIVER_PID" 2>/dev/null || { show_log "$WORK/driver.log"; fail "the driver exited before it served"; }
  sleep 0.1
done
[ -S "$SOCKET" ] || { show_log "$WORK/driver.log"; fail "no socket file after 120 s"; }
if ! java -cp "$RFS/app/sscsi.jar" "$HERE/PluginInfoCheck.java" "$SOCKET" 60 > "$WORK/check.log" 2>&1; then
  show_log "$WORK/check.log"
  show_log "$WORK/driver.log"
  fail "GetPluginInfo"
fi
sed 's/^/  | /' "$WORK/check.log"

step "stop the driver (SIGTERM) and read its log"
kill -TERM "$DRIVER_PID"
for ((i = 0; i < 600; i++)); do kill -0 "$DRIVER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$DRIVER_PID" 2>/dev/null && { show_log "$WORK/driver.log"; fail "the driver still runs 60 s after SIGTERM"; }
wait "$DRIVER_PID" || true
DRIVER_PID=""
no_aot_warning "$WORK/driver.log"
# the image's environment (JDK_JAVA_OPTIONS, the jar's Enable-Native-Access) leaves the JDK nothing to warn about
if grep -n -E '^WARNING: (A terminally deprecated method|A restricted method|sun\.misc\.Unsafe)' "$WORK/driver.log" >&2; then
  fail "the image's JVM printed JDK warnings (above): is the image's JDK_JAVA_OPTIONS still applied?"
fi
grep -i -E 'warn|error' "$WORK/driver.log" | sed 's/^/  log: /' || true

step "passed in $((SECONDS - START)) s"
