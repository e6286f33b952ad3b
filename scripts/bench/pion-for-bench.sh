# Sourced by the benchmark scripts: `pion_for_bench SOURCE_DIR BINARY LOG` installs Go and
# Debian's Pion sources (golang-github-pion-webrtc.v3-dev, under /usr/share/gocode) when missing,
# builds SOURCE_DIR with scripts/build-pion.sh into BINARY, and sets pion_bin (empty when there
# is no Pion to run) and pion_note (why not).
pion_for_bench() {
  local source_dir="$1" binary="$2" log="$3"
  local pion_src=/usr/share/gocode/src/github.com/pion/webrtc
  if ! command -v go >/dev/null 2>&1 || [ ! -d "$pion_src" ]; then
    local SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq golang-go golang-github-pion-webrtc.v3-dev; } >/dev/null 2>&1 || true
  fi
  pion_bin=""; pion_note="Go or golang-github-pion-webrtc.v3-dev is not installed"
  if command -v go >/dev/null 2>&1 && [ -d "$pion_src" ]; then
    if scripts/build-pion.sh "$source_dir" "$binary" >"$log" 2>&1; then
      pion_bin="$binary"
    else
      pion_note="the Go build failed (see $log)"
    fi
  fi
}
