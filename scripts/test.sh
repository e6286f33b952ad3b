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
# Every stage's output is also kept in one log, so that the end of the run can repeat its
# failures: a CI that shows only the last lines of a long run still shows what failed.
log=.build/test-output.txt
: > "$log"
stage() { # stage NAME COMMAND...: runs one stage, its output to the terminal and the log
  local name=$1; shift
  echo "test.sh: $name" | tee -a "$log"
  if "$@" 2>&1 | tee -a "$log"; then return 0; fi
  echo "test.sh: FAILED: $name" | tee -a "$log"
  failed=1
}
# Four Chromium pages in one SFU room (each encoding and decoding video) need the machine
# to themselves: beside the rest of stage 2 their video froze for seconds on 2 cores.
alone='SFURoomChromiumTests'
stage "stage 1 of 4, the protocol cores" in_namespace --skip "$whole_stack"
stage "stage 2 of 4, the whole stack with real peers" \
  in_namespace --filter "$whole_stack" --skip "$alone"
stage "stage 3 of 4, the SFU room of four Chromium pages, alone" in_namespace --filter "$alone"
stage "stage 4 of 4, the real-peer room suites again, with loopback alone" \
  "${ns[@]}" bash -c 'ip link set lo up || exit 1
  swift test --skip-build --filter "PionRoomInteropTests|PionMediaInteropTests|RoomEchoChromiumTests" && status=0 || status=$?
  exit $status'
if [ "$failed" -ne 0 ]; then
  # The failures again, at the end: the stages that failed, every failed test and recorded
  # issue (first 300 characters of each line) with up to 12 more lines of a recorded issue's
  # message (a peer's last output, the state waited for), and any crash of a test process.
  echo "test.sh: a stage failed; its failures, repeated from the log ($log):"
  awk '/^test\.sh: FAILED|✘|Fatal error|error: Exited|Exited with (signal|unexpected)/ {
         print; more = (/recorded an issue/ ? 12 : 0); next }
       more > 0 && !/^(✔|✘|◇|􀟈|[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T)/ { print "    " $0; more--; next }
       { more = 0 }' "$log" | cut -c1-300 | head -n 200 || true
fi
exit "$failed"
