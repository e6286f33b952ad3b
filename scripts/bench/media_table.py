"""Reads the result lines of the media benchmark (scripts/bench-media.sh) on stdin and prints
them side by side: one column per sender (SwiftRTC, Pion), one block per peer-connection count.
A sender's line (`media IMPL COUNT: S s, C CPU-s, V video frames, A audio frames`) is followed
by its receiver's (`media-recv swiftrtc COUNT: P packets, L lost, B bytes, F frames, T tracks`)."""
import re
import sys

ORDER = ["swiftrtc", "pion"]
NAMES = {"swiftrtc": "SwiftRTC sender", "pion": "Pion sender"}
runs = {}  # (impl, count) -> dict
current = None
for line in sys.stdin:
    line = line.strip()
    m = re.match(r"media (\w+) (\d+): ([\d.]+) s, ([\d.]+) CPU-s, (\d+) video frames, (\d+) audio frames", line)
    if m:
        current = (m[1], int(m[2]))
        runs[current] = {"count": current[1], "s": float(m[3]), "cpu": float(m[4]), "video": int(m[5]), "audio": int(m[6])}
        continue
    m = re.match(r"media-recv (\w+) (\d+): (\d+) packets, (-?\d+) lost, (\d+) bytes, (\d+) frames, (\d+) tracks", line)
    if m and current is not None and current[1] == int(m[2]):
        # Sent = received + lost (RFC 3550 cumulative loss, from the highest sequence number seen).
        runs[current].update(packets=int(m[3]) + max(int(m[4]), 0), lost=int(m[4]), bytes=int(m[5]), frames=int(m[6]),
                             tracks=int(m[7]), receiver=m[1])
        continue
    m = re.match(r"media (\w+) (\d+): (.*)", line)
    if m:
        runs.setdefault((m[1], int(m[2])), {})["note"] = m[3]


def cell(r, key):
    if "cpu" not in r:
        return "-"
    s, cpu, packets = r["s"], r["cpu"], r.get("packets")
    if key == "perstream":
        return f"{cpu / s / r['count'] * 1000:.2f} ms"
    if key == "cpu":
        return f"{cpu:.2f} CPU-s"
    if key == "cpups":
        return f"{cpu / s:.3f} ({cpu / s * 100:.1f}%)"
    if key == "frames":
        return f"{r['video']} + {r['audio']}"
    if packets is None:
        return "(no receiver)"
    if key == "pps":
        return f"{packets / s:,.0f}"
    if key == "mbit":
        return f"{r['bytes'] * 8 / s / 1e6:.2f}"
    if key == "ppcore":
        return f"{packets / cpu:,.0f}" if cpu > 0 else "-"
    if key == "lost":
        return f"{r['lost']}"
    if key == "tracks":
        return f"{r['tracks']}"
    return "-"


counts = sorted({c for _, c in runs})
columns = [i for i in ORDER if any(k[0] == i for k in runs)]
rows = [("sender CPU-s per s (% of one core)", "cpups"), ("  per stream, CPU-ms per s", "perstream"), ("sender CPU-s in the window", "cpu"),
        ("RTP packets/s sent (received + lost)", "pps"), ("  of which lost at the receiver", "lost"), ("payload Mbit/s received", "mbit"),
        ("RTP packets per sender CPU-s", "ppcore"), ("video + audio frames written", "frames"),
        ("remote tracks counted", "tracks")]
width = max(len(r[0]) for r in rows) + 2
for count in counts:
    some = next(r for (i, c), r in runs.items() if c == count)
    title = "one stream" if count == 1 else f"fan-out: one track pair to {count} peer connections"
    print()
    print(f"{title}, {some.get('s', 0):.1f} s window, receiver: SwiftRTC (another process)")
    print("".ljust(width) + "".join(NAMES[c].rjust(22) for c in columns))
    for label, key in rows:
        print(label.ljust(width) + "".join(cell(runs.get((c, count), {}), key).rjust(22) for c in columns))
    for c in columns:
        note = runs.get((c, count), {}).get("note")
        if note:
            print(f"{NAMES[c]}: {note}")
