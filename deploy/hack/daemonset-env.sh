#!/usr/bin/env bash
# Prints the value of one env variable of the driver container in deploy/secrets-store-csi-driver.yaml,
# so scripts use the DaemonSet's own JVM flags instead of a copy that can drift:
#   deploy/hack/daemonset-env.sh JAVA_TOOL_OPTIONS      # -XX:InitialRAMPercentage=20 -XX:... (one line)
#   source deploy/hack/daemonset-env.sh; flags=$(daemonset_env JAVA_TOOL_OPTIONS)
# Pure bash (no sed/grep/awk), so it runs in a build chroot that has only bash and coreutils. It reads
# the first `- name: NAME` entry with a `value:` (plain, quoted, or a `>-`/`>` folded block) and exits 1
# when there is none. The manifest is $SSCSI_DAEMONSET_YAML, else ../secrets-store-csi-driver.yaml
# next to this script.

daemonset_yaml() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  printf '%s\n' "${SSCSI_DAEMONSET_YAML:-$here/../secrets-store-csi-driver.yaml}"
}

daemonset_env() {
  local name=$1 yaml=${2:-$(daemonset_yaml)} line state=find block_indent=-1 out="" text indent
  [ -r "$yaml" ] || { echo "daemonset-env: cannot read $yaml" >&2; return 1; }
  while IFS= read -r line || [ -n "$line" ]; do
    case $state in
      find)
        [[ $line =~ ^[[:space:]]*-[[:space:]]+name:[[:space:]]*\"?$name\"?[[:space:]]*$ ]] && state=value ;;
      value)
        if [[ $line =~ ^[[:space:]]*value:[[:space:]]*(.*)$ ]]; then
          text=${BASH_REMATCH[1]}
          if [[ $text == ">-" || $text == ">" ]]; then
            state=block
          else
            text=${text%\"}; text=${text#\"}; text=${text%\'}; text=${text#\'}
            printf '%s\n' "$text"
            return 0
          fi
        else
          state=find # valueFrom or another key: not a literal value
        fi ;;
      block)
        text=${line#"${line%%[![:space:]]*}"}
        indent=$(( ${#line} - ${#text} ))
        if [ -z "$text" ]; then continue; fi
        [ "$block_indent" -lt 0 ] && block_indent=$indent
        if [ "$indent" -lt "$block_indent" ]; then break; fi
        out+="${out:+ }$text" ;;
    esac
  done < "$yaml"
  if [ "$state" = block ] && [ -n "$out" ]; then
    printf '%s\n' "$out"
    return 0
  fi
  echo "daemonset-env: no literal value for $name in $yaml" >&2
  return 1
}

# The DaemonSet's JVM flags without those that name the image's class archive (-XX:AOTCache, -XX:AOTMode,
# -XX:SharedArchiveFile, -Xshare:*): a training run writes an archive (and may not name one), a run on
# this machine names its own.
daemonset_jvm_flags() {
  local flag kept=()
  read -ra all <<< "$(daemonset_env JAVA_TOOL_OPTIONS "$@")"
  for flag in "${all[@]}"; do
    case "$flag" in -XX:AOTCache=*|-XX:AOTMode=*|-XX:SharedArchiveFile=*|-Xshare:*) ;; *) kept+=("$flag") ;; esac
  done
  printf '%s\n' "${kept[*]}"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  [ $# -ge 1 ] || { echo "usage: $0 NAME [DAEMONSET_YAML]" >&2; exit 2; }
  daemonset_env "$@"
fi
