#!/usr/bin/env bash
# Builds a Go program against Pion WebRTC v3 as Debian packages it (golang-github-pion-webrtc.v3-dev,
# sources under /usr/share/gocode). Debian ships the modules in GOPATH layout but under their
# directory names, not always their module paths (github.com/pion/webrtc/v3 lives in
# github.com/pion/webrtc), so this links every module path to its directory in a private GOPATH
# and builds with GO111MODULE=off. Usage: scripts/build-pion.sh SOURCE_DIR OUTPUT_BINARY
set -euo pipefail
src="$1"; out="$2"
name="$(basename "$out")"
gopath="$(cd "$(dirname "$0")/.." && pwd)/.build/gopath-$name"
rm -rf "$gopath"; mkdir -p "$gopath/src/$name"
cp "$src"/*.go "$gopath/src/$name/"
(cd /usr/share/gocode/src && find . -name go.mod | while read -r m; do
   dir="${m%/go.mod}"; dir="${dir#./}"
   mod="$(awk '/^module /{gsub(/"/, "", $2); print $2; exit}' "$m")"
   if [ -n "$mod" ] && [ "$mod" != "$dir" ] && [ ! -e "/usr/share/gocode/src/$mod" ]; then
     mkdir -p "$gopath/src/$(dirname "$mod")"; ln -sfn "/usr/share/gocode/src/$dir" "$gopath/src/$mod"
   fi
 done)
cd "$gopath/src/$name"
GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="$gopath-cache" GOFLAGS= go build -o "$out" .
