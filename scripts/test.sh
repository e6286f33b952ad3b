#!/usr/bin/env bash
# The test command: installs the real peers, builds, and runs every test (unit, deterministic
# simulations and interop) inside a private, loopback-only network namespace, so no test can
# send traffic anywhere but 127.0.0.1 / ::1. Extra arguments go to `swift test`
# (e.g. `scripts/test.sh --filter STUN`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-peers.sh
swift build --build-tests
# The libsrtp 2 peer of RTCSRTP's interop tests: a small C harness against Debian's libsrtp2-dev.
mkdir -p .build && cc -O2 -Wall -o .build/libsrtp-harness scripts/libsrtp-harness.c -lsrtp2
export SWIFTRTC_LIBSRTP_HARNESS="$PWD/.build/libsrtp-harness"
export SWIFTRTC_PEER_PYTHON="$PWD/.venv/bin/python"
ns=(unshare --net)
[ "$(id -u)" -eq 0 ] || ns=(unshare --net --map-root-user)
exec "${ns[@]}" bash -c 'ip link set lo up && exec swift test --skip-build "$@"' swift-test "$@"
