#!/usr/bin/env bash
# SFU forwarding benchmark (issue 15 item 6), never a timed test: in one run, SwiftRTC's SFUEdge
# side by side with a Pion forwarder shaped like Pion's broadcast example (Go, Debian's
# golang-github-pion-webrtc.v3-dev: scripts/bench/pion-sfu), loopback only, in a private network
# namespace. Three processes per server:
#  - the server: `swiftrtc-bench sfu-server` (one SFUEdge, one UDP socket) or `pion-sfu`;
#  - one publisher, `swiftrtc-bench sfu-publish`: one PeerConnection sending a synthetic
#    VP8-shaped RTP stream, PPS packets/s of SIZE-byte payloads (30 frames/s, a key frame
#    every 2 s or on request);
#  - SUBSCRIBERS receive-only PeerConnections, `swiftrtc-bench sfu-subscribe`, in one process,
#    each counting the forwarded packets it gets.
# The publisher and the subscribers are SwiftRTC's for both servers, so only the server differs.
# Signaling is JSON lines through named pipes: the publisher offers, the server answers; the
# server offers each subscriber, which answers. Once every subscriber receives, after 2 s of
# warm-up, the subscriber process counts the packets that arrive (and, apart, those lost) over
# SECONDS and reads the server's CPU time (utime + stime, /proc/PID/stat) at both ends of the window.
# Printed: forwarded packets per server CPU-second (per core) and subscribers per core at 80 % CPU.
# Usage: [SKIP_BUILD=1] scripts/bench-sfu.sh [SECONDS] [SUBSCRIBERS] [PPS] [SIZE]
#        (defaults: 20 s, 20 subscribers, 1,000 packets/s, 1,000-byte payloads)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"; subscribers="${2:-20}"; pps="${3:-1000}"; size="${4:-1000}"
out="$PWD/.build/bench-sfu"
mkdir -p "$out"

# SKIP_BUILD=1 uses the release build as it is (e.g. while another SwiftPM build holds .build).
[ -n "${SKIP_BUILD:-}" ] || swift build -c release --product swiftrtc-bench 2>&1 | tail -1
if [ -n "${SKIP_BUILD:-}" ]; then bin="$PWD/.build/release/swiftrtc-bench"; else bin="$(swift build -c release --show-bin-path)/swiftrtc-bench"; fi

. scripts/bench/pion-for-bench.sh
pion_for_bench scripts/bench/pion-sfu "$PWD/.build/pion-sfu" "$out/pion-build.log"

echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); cores: $(nproc); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "CPU: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "sfu shape: $subscribers subscribers, $pps packets/s of $size-byte payloads, $seconds s window"

# One server with its publisher and subscribers; the subscriber process prints the result line.
run() {  # IMPL SERVER...
  local impl="$1"; shift
  local p="$out/$impl"
  rm -f "$p".pub-offers "$p".pub-answers "$p".sub-offers "$p".sub-answers
  mkfifo "$p".pub-offers "$p".pub-answers "$p".sub-offers "$p".sub-answers
  "$@" "$p".pub-offers "$p".pub-answers "$p".sub-offers "$p".sub-answers "$subscribers" 2>"$out/server-$impl.log" &
  local server=$!
  "$bin" sfu-publish "$p".pub-offers "$p".pub-answers "$pps" "$size" 2>"$out/publish-$impl.log" &
  local publisher=$!
  if ! timeout $((seconds + 180)) "$bin" sfu-subscribe "$p".sub-offers "$p".sub-answers "$subscribers" "$server" "$seconds" "$impl" \
       2>"$out/subscribe-$impl.log"; then
    echo "sfu $impl $subscribers: not run: the subscribers failed (see $out/subscribe-$impl.log)"
  fi
  kill "$publisher" "$server" 2>/dev/null || true
  wait "$publisher" "$server" 2>/dev/null || true
}
export -f run
export bin out seconds subscribers pps size

rm -f "$out/results.txt"
ns=(unshare --net); [ "$(id -u)" -eq 0 ] || ns=(unshare --net --map-root-user)
"${ns[@]}" bash -c "ip link set lo up
  echo 'sfu load: $pps $size'
  run swiftrtc '$bin' sfu-server
  if [ -n '$pion_bin' ]; then run pion '$pion_bin'; else echo 'sfu pion $subscribers: not run: $pion_note'; fi" \
  | tee -a /dev/stderr "$out/results.txt" | python3 scripts/bench/sfu_table.py
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
