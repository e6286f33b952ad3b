"""Reads the result lines of the data-channel benchmarks (scripts/bench.sh) on stdin and prints
them side by side: one column per implementation, one row per measurement."""
import re
import sys

ORDER = ["swiftrtc", "aiortc", "pion"]
NAMES = {"swiftrtc": "SwiftRTC<->SwiftRTC", "aiortc": "aiortc<->aiortc", "pion": "Pion<->Pion"}
results = {}
runs = total = None
for line in sys.stdin:
    line = line.strip()
    m = re.match(r"(\w+) offer->open: median ([\d.]+) ms over (\d+) connections", line)
    if m:
        results.setdefault(m[1], {})["open"] = f"{m[2]} ms"
        runs = m[3]
        continue
    m = re.match(r"(\w+) bulk (\d+) KiB messages: ([\d.]+) Mbit/s, ([\d.]+) CPU-s for (\d+) MiB, sha256 (\w+)", line)
    if m:
        r = results.setdefault(m[1], {})
        r[f"bulk{m[2]}"] = f"{m[3]} Mbit/s" + ("" if m[6] == "match" else " (SHA MISMATCH)")
        r[f"cpu{m[2]}"] = f"{m[4]} CPU-s"
        total = m[5]
        continue
    m = re.match(r"(\w+): not run: (.*)", line)
    if m:
        results.setdefault(m[1], {})["note"] = m[2]

columns = [c for c in ORDER if c in results]
rows = [("offer->open, median of %s" % (runs or "?"), "open"),
        ("bulk %s MiB, 16 KiB messages" % (total or "?"), "bulk16"),
        ("  CPU time (both peers)", "cpu16"),
        ("bulk %s MiB, 64 KiB messages" % (total or "?"), "bulk64"),
        ("  CPU time (both peers)", "cpu64")]
width = max(len(r[0]) for r in rows) + 2
print()
print("".ljust(width) + "".join(NAMES[c].rjust(22) for c in columns))
for label, key in rows:
    print(label.ljust(width) + "".join(results[c].get(key, "-").rjust(22) for c in columns))
for c in columns:
    if "note" in results[c]:
        print(f"{NAMES[c]}: not run: {results[c]['note']}")
