#!/usr/bin/env bash
# The test command: installs the real peers, builds, and runs every test (unit, deterministic
# simulations and interop) inside a private, loopback-only network namespace, so no test can
# send traffic anywhere but 127.0.0.1 / ::1. Extra arguments go to `swift test`
# (e.g. `scripts/test.sh --filter STUN`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-peers.sh
swift build --build-tests
export SWIFTRTC_PEER_PYTHON="$PWD/.venv/bin/python"
ns=(unshare --net)
[ "$(id -u)" -eq 0 ] || ns=(unshare --net --map-root-user)
exec "${ns[@]}" bash -c 'ip link set lo up && exec swift test --skip-build "$@"' swift-test "$@"
