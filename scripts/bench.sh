#!/usr/bin/env bash
# Data-channel benchmark (issues 6 and 16): in one run, SwiftRTC<->SwiftRTC, aiortc<->aiortc and
# Pion<->Pion (Go, Debian's golang-github-pion-webrtc.v3-dev) side by side on this machine,
# loopback only, in a private network namespace.
#
#   scripts/bench.sh [RUNS] [TOTAL_BYTES]       offer->open time (p50/p95/max of RUNS connections)
#                                               and bulk throughput of TOTAL bytes in 16 KiB and
#                                               64 KiB messages, each pair in one process
#                                               (defaults: 100 connections, 50 MiB)
#   scripts/bench.sh memory [PAIRS] [CYCLES]    RSS per idle connected peer connection (PAIRS
#                                               pairs held open in one process, after a warm-up)
#                                               and RSS over CYCLES connect/close cycles, which
#                                               should stay flat (defaults: 1000 and 1000)
#   scripts/bench.sh two-process [TOTAL_BYTES]  bulk throughput of TOTAL bytes (default 200 MiB) in
#                                               16 KiB and 64 KiB messages with the offerer
#                                               (sender) and the answerer (receiver) in two OS
#                                               processes: Mbit/s and CPU-seconds per GiB (both
#                                               processes, user + system, over the transfer);
#                                               first the kernel's own figure for 1,200-byte UDP
#                                               datagrams between two processes (our udp-blast,
#                                               sendmmsg/recvmmsg; and iperf3 when installed)
#
# Pion is built when Go and the Pion sources are installed (this script installs them with
# apt-get if it can); otherwise its column says why it was not run.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=throughput
case "${1:-}" in memory|two-process) mode="$1"; shift;; esac
case "$mode" in
  memory) a1="memory ${1:-1000} ${2:-1000}";;
  two-process) total="${1:-209715200}";;
  *) a1="${1:-100} ${2:-52428800}";;
esac
bash scripts/install-peers.sh >/dev/null
swift build -c release --product swiftrtc-bench 2>&1 | tail -1
bin="$(swift build -c release --show-bin-path)/swiftrtc-bench"

# Pion: Debian ships its Go sources under /usr/share/gocode; scripts/build-pion.sh builds against them.
. scripts/bench/pion-for-bench.sh
pion_for_bench scripts/bench/pion "$PWD/.build/pion-bench" "$PWD/.build/pion-bench.log"

echo "data-channel benchmark ($mode): $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
ns=(unshare --net); [ "$(id -u)" -eq 0 ] || ns=(unshare --net --map-root-user)
if [ "$mode" = two-process ]; then
  # One receiver process and one sender process per stack and message size, signaling through
  # two named pipes (offers: sender -> receiver, answers: receiver -> sender).
  pipes="$(mktemp -d)"; trap 'rm -rf "$pipes"' EXIT
  # The kernel's figure: what two processes move through loopback UDP with nothing on top.
  cc -O2 -o .build/udp-blast scripts/bench/udp-blast.c
  "${ns[@]}" bash -c "ip link set lo up
    bash scripts/bench/kernel-udp.sh .build/udp-blast $total
    pair() { rm -f '$pipes/o' '$pipes/a'; mkfifo '$pipes/o' '$pipes/a'
             \"\$@\" dc-recv '$pipes/o' '$pipes/a' & r=\$!
             \"\$@\" dc-send '$pipes/o' '$pipes/a' \$size $total; wait \$r; }
    for size in 16384 65536; do
      pair '$bin'
      pair .venv/bin/python scripts/bench/aiortc_datachannel.py
      if [ -n '$pion_bin' ]; then pair '$pion_bin'; else echo 'pion: not run: $pion_note'; fi
    done" \
    | tee /dev/stderr | .venv/bin/python scripts/bench/table.py
else
# The open time first in four rounds of RUNS/4 connections, SwiftRTC and Pion alternating (each
# starting every other round): on a shared host the machine's speed drifts over a minute, and
# one block per stack, a minute apart, compares two different machines. Every connection's time
# is printed; table.py pools them per stack. Then each stack's whole run (one block) as before.
open_rounds=""
if [ "$mode" = throughput ]; then
  per_round=$(( ${1:-100} / 4 )); [ "$per_round" -ge 1 ] || per_round=1
  stacks=("'$bin'"); [ -n "$pion_bin" ] && stacks+=("'$pion_bin'")
  for round in 1 2 3 4; do
    order=("${stacks[@]}"); [ $((round % 2)) -eq 0 ] && [ ${#stacks[@]} -eq 2 ] && order=("${stacks[1]}" "${stacks[0]}")
    for stack in "${order[@]}"; do open_rounds+="$stack open-samples $per_round
"; done
  done
fi
"${ns[@]}" bash -c "ip link set lo up
  $open_rounds
  '$bin' $a1
  .venv/bin/python scripts/bench/aiortc_datachannel.py $a1
  if [ -n '$pion_bin' ]; then '$pion_bin' $a1; else echo 'pion: not run: $pion_note'; fi" \
  | tee /dev/stderr | .venv/bin/python scripts/bench/table.py
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
