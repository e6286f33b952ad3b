#!/usr/bin/env bash
# Data-channel benchmark, SwiftRTC and aiortc side by side on this machine (loopback only, in a
# private network namespace): offer->open median of RUNS connections and bulk throughput of
# TOTAL bytes in 16 KiB and 64 KiB messages. Usage: scripts/bench.sh [RUNS] [TOTAL_BYTES]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"; total="${2:-52428800}"
bash scripts/install-peers.sh >/dev/null
swift build -c release --product swiftrtc-bench 2>&1 | tail -1
bin="$(swift build -c release --show-bin-path)/swiftrtc-bench"
ns=(unshare --net); [ "$(id -u)" -eq 0 ] || ns=(unshare --net --map-root-user)
"${ns[@]}" bash -c "ip link set lo up
  '$bin' $runs $total
  .venv/bin/python scripts/bench/aiortc_datachannel.py $runs $total"
