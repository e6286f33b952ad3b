#!/usr/bin/env bash
# The kernel's UDP figure for scripts/bench.sh two-process (run inside its network namespace):
# 1,200-byte datagrams between two processes on 127.0.0.1 with nothing on top, measured by
# udp-blast (scripts/bench/udp-blast.c, sendmmsg/recvmmsg of 64) and, when it is installed,
# by iperf3 as well. Usage: kernel-udp.sh UDP_BLAST_BINARY TOTAL_BYTES
set -uo pipefail
blast="$1"; total="$2"
"$blast" recv 5999 & r=$!
sleep 0.2
"$blast" send 5999 1200 "$total"
wait "$r"
if command -v iperf3 >/dev/null 2>&1; then
  iperf3 -s -1 -p 5998 >/dev/null 2>&1 & s=$!
  sleep 0.3
  # The receiver's line of the summary: "... 2.71 Gbits/sec  0.002 ms  120/1400000 (0.0086%)  receiver".
  iperf3 -c 127.0.0.1 -p 5998 -u -b 0 -l 1200 -t 5 | awk '
    /receiver/ { for (i = 2; i <= NF; i++) if ($i ~ /bits\/sec$/) { v = $(i - 1); u = $i } }
    END { if (v != "") { m = (u ~ /^G/) ? 1000 : (u ~ /^K/) ? 0.001 : (u ~ /^bits/) ? 0.000001 : 1
                         printf "kernel two-process UDP 1200-byte datagrams: %.1f Mbit/s received, iperf3 -u -b 0 -l 1200 -t 5\n", v * m } }'
  wait "$s"
fi
