#!/usr/bin/env bash
# The test command: installs the real peers, builds, and runs every test (unit, deterministic
# simulations and interop) inside a private network namespace, so no test can send traffic
# anywhere else. Like a real host, the namespace has a second interface besides loopback: a veth
# pair d0/d1 (both ends inside) with 10.99.0.1/24 on d0 and the default route through it. Then
# the real-peer room suites run once more with loopback alone. Extra arguments replace the
# stages with one `swift test` in the namespace (e.g. `scripts/test.sh --filter STUN`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-peers.sh
swift build --build-tests
scripts/build-pion.sh scripts/interop/pion "$PWD/.build/pion-room"
# The libsrtp 2 peer of RTCSRTP's interop tests: a small C harness against Debian's libsrtp2-dev.
mkdir -p .build && cc -O2 -Wall -o .build/libsrtp-harness scripts/libsrtp-harness.c -lsrtp2
export SWIFTRTC_LIBSRTP_HARNESS="$PWD/.build/libsrtp-harness"
export SWIFTRTC_PEER_PYTHON="$PWD/.venv/bin/python"
export SWIFTRTC_PION_ROOM="$PWD/.build/pion-room"
# Each stage also gets its own PID namespace: when it ends, every process the tests started
# and lost track of (a Chromium renderer whose test failed) ends with it, instead of eating
# the CPU of the next stage and of the machine for hours. bash stays PID 1 to reap orphans.
ns=(unshare --net --pid --fork --mount-proc)
[ "$(id -u)" -eq 0 ] || ns=(unshare --net --pid --fork --mount-proc --map-root-user)
in_namespace() {
  "${ns[@]}" bash -c 'set -e; ip link set lo up
    ip link add d0 type veth peer name d1; ip addr add 10.99.0.1/24 dev d0
    ip link set d0 up; ip link set d1 up; ip route add default dev d0
    swift test --skip-build "$@" && status=0 || status=$?
    exit $status' swift-test "$@"
}
if [ $# -gt 0 ]; then in_namespace "$@"; exit; fi
# The namespace runs in two stages so that the CPU-heavy deterministic suites (payload formats, 20 MiB SCTP
# transfers, fuzz seeds: two minutes of a debug build's CPU) do not starve the timing-bound
# real-peer suites on a 2-core machine. First the protocol cores and their single-peer interop
# (OpenSSL, coturn, libsrtp, aioice); then sessions, media, signaling, the SFU and the browsers.
whole_stack='^(RTCMediaTests|RTCSFUTests|RTCSignalingTests|SwiftRTCTests)\.'
# Every stage runs even when an earlier one failed (all the failures are seen in one run).
failed=0
# Four Chromium pages in one SFU room (each encoding and decoding video) need the machine
# to themselves: beside the rest of stage 2 their video froze for seconds on 2 cores.
alone='SFURoomChromiumTests'
echo "test.sh: stage 1 of 4, the protocol cores"
in_namespace --skip "$whole_stack" || failed=1
echo "test.sh: stage 2 of 4, the whole stack with real peers"
in_namespace --filter "$whole_stack" --skip "$alone" || failed=1
echo "test.sh: stage 3 of 4, the SFU room of four Chromium pages, alone"
in_namespace --filter "$alone" || failed=1
echo "test.sh: stage 4 of 4, the real-peer room suites again, with loopback alone"
"${ns[@]}" bash -c 'ip link set lo up || exit 1
  swift test --skip-build --filter "PionRoomInteropTests|PionMediaInteropTests|RoomEchoChromiumTests" && status=0 || status=$?
  exit $status' || failed=1
[ "$failed" -eq 0 ] || echo "test.sh: a stage failed (see its ✘ lines above)"
exit "$failed"
