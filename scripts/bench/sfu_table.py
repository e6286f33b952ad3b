"""Reads the result lines of the SFU forwarding benchmark (scripts/bench-sfu.sh) on stdin and
prints them side by side, one column per server (SwiftRTC, Pion). A result line is the
subscriber process's: `sfu IMPL COUNT: S s, C server CPU-s, P packets, L lost, B bytes,
R subscriber CPU-s, T tracks`; `sfu load: PPS SIZE` gives the publisher's rate and payload size."""
import re
import sys

ORDER = ["swiftrtc", "pion"]
NAMES = {"swiftrtc": "SwiftRTC SFUEdge", "pion": "Pion (broadcast)"}
GOAL = 100_000  # forwarded packets per second per core (issue 15 item 6)
runs = {}
pps = size = None
for line in sys.stdin:
    line = line.strip()
    m = re.match(r"sfu load: (\d+) (\d+)", line)
    if m:
        pps, size = int(m[1]), int(m[2])
        continue
    m = re.match(r"sfu (\w+) (\d+): ([\d.]+) s, ([\d.]+) server CPU-s, (\d+) packets, (-?\d+) lost, (\d+) bytes, "
                 r"([\d.]+) subscriber CPU-s, (\d+) tracks", line)
    if m:
        runs[m[1]] = {"count": int(m[2]), "s": float(m[3]), "cpu": float(m[4]), "packets": int(m[5]),
                      "lost": int(m[6]), "bytes": int(m[7]), "subcpu": float(m[8]), "tracks": int(m[9])}
        continue
    m = re.match(r"sfu (\w+) (\d+): not run: (.*)", line)
    if m:
        runs.setdefault(m[1], {"count": int(m[2])})["note"] = m[3]


def cell(r, key):
    if "cpu" not in r:
        return "-"
    s, cpu = r["s"], r["cpu"]
    # Forwarded = received by the subscribers. A packet lost on the way may have been dropped in
    # the server's own socket queue (never forwarded) as well as after it: counted apart, not credited.
    sent = r["packets"]
    per_cpu = sent / cpu if cpu > 0 else float("nan")
    if key == "cpu":
        return f"{cpu:.2f} ({cpu / s * 100:.1f}%)"
    if key == "pps":
        return f"{sent / s:,.0f}"
    if key == "offered":
        return f"{pps * r['count']:,}" if pps else "-"
    if key == "lost":
        return f"{r['lost']}"
    if key == "mbit":
        return f"{r['bytes'] * 8 / s / 1e6:.1f}"
    if key == "percpu":
        return f"{per_cpu:,.0f}"
    if key == "percent":
        return f"{per_cpu / GOAL * 100:.0f} %"
    if key == "subs":
        return f"{0.8 * per_cpu / pps:,.0f}" if pps else "-"
    if key == "subs250":
        return f"{0.8 * per_cpu / 250:,.0f}"
    if key == "tracks":
        return f"{r['tracks']} of {r['count']}"
    if key == "subcpu":
        return f"{r['subcpu']:.2f} ({r['subcpu'] / s * 100:.0f}%)"
    return "-"


columns = [c for c in ORDER if c in runs]
some = next((r for r in runs.values() if "s" in r), {})
rows = [("server CPU-s in the window (% of a core)", "cpu"),
        ("forwarded RTP packets/s (received)", "pps"),
        ("  offered: publisher pkt/s x subscribers", "offered"),
        ("RTP packets lost (sequence gaps, not counted)", "lost"),
        ("payload Mbit/s received", "mbit"),
        ("forwarded packets per server CPU-s", "percpu"),
        (f"  of the goal ({GOAL:,} per core)", "percent"),
        (f"subscribers per core at 80 % CPU ({pps or '?'} pkt/s each)", "subs"),
        ("  the same at 250 pkt/s (~2.5 Mbit/s video)", "subs250"),
        ("subscribers receiving", "tracks"),
        ("subscriber process CPU-s (not measured)", "subcpu")]
width = max(len(r[0]) for r in rows) + 2
print()
print(f"SFU forwarding: one publisher ({pps or '?'} pkt/s, {size or '?'}-byte payloads) to {some.get('count', '?')} subscribers, "
      f"{some.get('s', 0):.1f} s window; publisher and subscribers: SwiftRTC (two other processes)")
print("".ljust(width) + "".join(NAMES[c].rjust(20) for c in columns))
for label, key in rows:
    print(label.ljust(width) + "".join(cell(runs[c], key).rjust(20) for c in columns))
for c in columns:
    if "note" in runs[c]:
        print(f"{NAMES[c]}: not run: {runs[c]['note']}")
