#!/usr/bin/env bash
# Media benchmark (issue 13 item 6), never a timed test: in one run, SwiftRTC side by side with
# Pion (Go, Debian's golang-github-pion-webrtc.v3-dev, a sender shaped like Pion's play-from-disk
# example: scripts/bench/pion-media), loopback only, in a private network namespace.
#  1. One stream: a sender process plays a 2.5 Mbit/s VP8 (1280x720, 30 fps, key frame every 2 s)
#     + Opus file pair in real time to a receiver in another process for SECONDS; the sender's
#     CPU-seconds per second of stream (getrusage in the sender, playing window only) and RTP
#     packets/s.
#  2. Fan-out: the same two tracks added to FANOUT peer connections in one sender process
#     (SwiftRTC: one LocalMediaTrack per kind; Pion: one TrackLocalStaticSample per kind), FANOUT
#     receiving peer connections in another process; sent RTP packets per sender CPU-second.
# The receiver is SwiftRTC's (`swiftrtc-bench media-recv`) for both senders, so only the sender
# differs; it offers, the sender answers (JSON lines through two named pipes), and it counts the
# RTP packets that arrived (RemoteTrack.stats()), which on loopback are the packets sent.
# Usage: scripts/bench-media.sh [SECONDS] [FANOUT]   (defaults: 20 s, 50 peer connections)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"; fanout="${2:-50}"
out="$PWD/.build/bench-media"
mkdir -p "$out"

swift build -c release --product swiftrtc-bench 2>&1 | tail -1
bin="$(swift build -c release --show-bin-path)/swiftrtc-bench"

. scripts/bench/pion-for-bench.sh
pion_for_bench scripts/bench/pion-media "$PWD/.build/pion-media" "$out/pion-build.log"

# The files, a little longer than the window. testsrc alone compresses to ~1.2 Mbit/s whatever
# -b:v says; temporal noise makes libvpx spend the 2.5 Mbit/s. One Opus packet per Ogg page
# (-page_duration 20000), as play-from-disk reads pages as packets.
length=$((seconds + 2))
video="$out/video-${length}s.ivf"; audio="$out/audio-${length}s.ogg"
if [ ! -s "$video" ]; then
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc=size=1280x720:rate=30,noise=alls=12:allf=t" -t "$length" \
    -c:v libvpx -b:v 2.5M -g 60 -deadline realtime -cpu-used 8 "$video.tmp.ivf" && mv "$video.tmp.ivf" "$video"
fi
if [ ! -s "$audio" ]; then
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "sine=frequency=440:sample_rate=48000" -t "$length" \
    -c:a libopus -b:a 64k -page_duration 20000 "$audio.tmp.ogg" && mv "$audio.tmp.ogg" "$audio"
fi

echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); cores: $(nproc); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "CPU: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "files: $(basename "$video") $(stat -c %s "$video") bytes ($(awk -v b="$(stat -c %s "$video")" -v s="$length" 'BEGIN {printf "%.2f", b * 8 / s / 1e6}') Mbit/s), $(basename "$audio") $(stat -c %s "$audio") bytes"

# One sender/receiver pair: the receiver's line follows the sender's (the table pairs them).
run() {  # IMPL COUNT SENDER...
  local impl="$1" count="$2"; shift 2
  rm -f "$out/offers" "$out/answers"; mkfifo "$out/offers" "$out/answers"
  "$bin" media-recv "$out/offers" "$out/answers" "$count" >"$out/recv-$impl-$count.txt" 2>"$out/recv-$impl-$count.log" &
  local receiver=$!
  if timeout $((seconds + 120)) "$@" "$out/offers" "$out/answers" "$count" "$video" "$audio" "$seconds" 2>"$out/send-$impl-$count.log"; then
    wait "$receiver" || echo "media $impl $count: receiver failed (see $out/recv-$impl-$count.log)"
    cat "$out/recv-$impl-$count.txt"
  else
    kill "$receiver" 2>/dev/null || true; wait "$receiver" 2>/dev/null || true
    echo "media $impl $count: not run: the sender failed (see $out/send-$impl-$count.log)"
  fi
}
export -f run
export bin out seconds video audio

rm -f "$out/results.txt"
ns=(unshare --net); [ "$(id -u)" -eq 0 ] || ns=(unshare --net --map-root-user)
"${ns[@]}" bash -c "ip link set lo up
  for count in 1 $fanout; do
    run swiftrtc \$count '$bin' media-send
    if [ -n '$pion_bin' ]; then run pion \$count '$pion_bin'; else echo 'media pion '\$count': not run: $pion_note'; fi
  done" | tee -a /dev/stderr "$out/results.txt" | python3 scripts/bench/media_table.py
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
