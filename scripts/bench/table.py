"""Reads the result lines of the data-channel benchmarks (scripts/bench.sh) on stdin and prints
them side by side: one column per implementation, one row per measurement."""
import re
import sys

ORDER = ["swiftrtc", "aiortc", "pion"]
NAMES = {"swiftrtc": "SwiftRTC<->SwiftRTC", "aiortc": "aiortc<->aiortc", "pion": "Pion<->Pion"}
results = {}
kernel = []  # (Mbit/s, line) of scripts/bench/kernel-udp.sh
runs = total = pairs = cycles = None
samples = {}  # stack -> every offer->open time of the interleaved rounds (open-samples lines)
rounds = {}   # stack -> how many rounds printed samples
for line in sys.stdin:
    line = line.strip()
    m = re.match(r"(\w+) offer->open samples \(ms\):(.*)", line)
    if m:
        samples.setdefault(m[1], []).extend(float(x) for x in m[2].split())
        rounds[m[1]] = rounds.get(m[1], 0) + 1
        continue
    m = re.match(r"(\w+) offer->open: median ([\d.]+) ms over (\d+) connections(?:, p95 ([\d.]+) ms, max ([\d.]+) ms)?", line)
    if m:
        r = results.setdefault(m[1], {})
        r["open"] = f"{m[2]} ms"
        if m[4]:
            r["p95"] = f"{m[4]} ms"
            r["max"] = f"{m[5]} ms"
        runs = m[3]
        continue
    m = re.match(r"(\w+) bulk (\d+) KiB messages: ([\d.]+) Mbit/s, ([\d.]+) CPU-s for (\d+) MiB, sha256 (\w+)", line)
    if m:
        r = results.setdefault(m[1], {})
        r[f"bulk{m[2]}"] = f"{m[3]} Mbit/s" + ("" if m[6] == "match" else " (SHA MISMATCH)")
        r[f"cpu{m[2]}"] = f"{m[4]} CPU-s"
        total = m[5]
        continue
    m = re.match(r"(\w+) two-process bulk (\d+) KiB messages: ([\d.]+) Mbit/s, .* for (\d+) MiB = ([\d.]+) CPU-s per GiB, sha256 (\w+)", line)
    if m:
        r = results.setdefault(m[1], {})
        r[f"two{m[2]}"] = f"{m[3]} Mbit/s" + ("" if m[6] == "match" else " (SHA MISMATCH)")
        r[f"twocpu{m[2]}"] = f"{m[5]} CPU-s/GiB"
        total = m[4]
        continue
    m = re.match(r"(\w+) memory: (\d+) idle pairs: RSS (\d+) KiB -> (\d+) KiB = ([\d.-]+) KiB", line)
    if m:
        results.setdefault(m[1], {})["memory"] = f"{m[5]} KiB"
        pairs = m[2]
        continue
    m = re.match(r"(\w+) cycles: (\d+) connect/close cycles: RSS (\d+) KiB after warm-up -> (\d+) KiB \(([+\-\d.]+) %\)", line)
    if m:
        r = results.setdefault(m[1], {})
        r["cycles"] = f"{int(m[3]) // 1024}->{int(m[4]) // 1024} MiB"
        r["drift"] = f"{m[5]} %"
        cycles = m[2]
        continue
    m = re.match(r"kernel two-process UDP (\d+)-byte datagrams: ([\d.]+) Mbit/s received(.*)", line)
    if m:
        kernel.append((float(m[2]), line))
        continue
    m = re.match(r"(\w+): not run: (.*)", line)
    if m:
        results.setdefault(m[1], {})["note"] = m[2]

# The interleaved rounds pooled: median, p95 and max of every sample of a stack.
for stack, times in samples.items():
    times.sort()
    r = results.setdefault(stack, {})
    r["iopen"] = f"{times[len(times) // 2]:.1f} ms"
    r["ip95"] = f"{times[(len(times) * 95 + 99) // 100 - 1]:.1f} ms"
    r["imax"] = f"{times[-1]:.1f} ms"
interleaved = max((len(t) for t in samples.values()), default=0)

columns = [c for c in ORDER if c in results]
rows = [("offer->open, median of %s in %s rounds" % (interleaved, max(rounds.values(), default=0)), "iopen"),
        ("  p95", "ip95"),
        ("  max", "imax"),
        ("offer->open, median of %s in one block" % (runs or "?"), "open"),
        ("  p95", "p95"),
        ("  max", "max"),
        ("bulk %s MiB, 16 KiB messages" % (total or "?"), "bulk16"),
        ("  CPU time (both peers)", "cpu16"),
        ("bulk %s MiB, 64 KiB messages" % (total or "?"), "bulk64"),
        ("  CPU time (both peers)", "cpu64"),
        ("two processes, %s MiB, 16 KiB messages" % (total or "?"), "two16"),
        ("  CPU (both processes)", "twocpu16"),
        ("two processes, %s MiB, 64 KiB messages" % (total or "?"), "two64"),
        ("  CPU (both processes)", "twocpu64"),
        ("RSS per idle connected PC (%s pairs)" % (pairs or "?"), "memory"),
        ("RSS over %s connect/close cycles" % (cycles or "?"), "cycles"),
        ("  change after warm-up", "drift")]
rows = [r for r in rows if any(r[1] in results[c] for c in columns)]
width = max(len(r[0]) for r in rows) + 2 if rows else 0
print()
print("".ljust(width) + "".join(NAMES[c].rjust(22) for c in columns))
for label, key in rows:
    print(label.ljust(width) + "".join(results[c].get(key, "-").rjust(22) for c in columns))
for c in columns:
    if "note" in results[c]:
        print(f"{NAMES[c]}: not run: {results[c]['note']}")
for _, line in kernel:
    print(line)


def mbit(stack, key):
    m = re.match(r"([\d.]+) Mbit/s", results.get(stack, {}).get(key, ""))
    return float(m[1]) if m else None


# The goals of issue 16 item 1, as ratios of figures printed above.
for key, size in (("two16", 16), ("two64", 64)):
    ours, pion = mbit("swiftrtc", key), mbit("pion", key)
    if ours and pion:
        print(f"two processes, {size} KiB messages: SwiftRTC / Pion = {ours / pion:.2f}x")
    if ours and kernel:
        print(f"two processes, {size} KiB messages: SwiftRTC / kernel UDP ({kernel[0][0]:.1f} Mbit/s) = {ours / kernel[0][0]:.2f}x")
# Issue 16 item 2: the open time as a ratio of Pion's, and SwiftRTC's p95 against its median.
def ms(stack, key):
    m = re.match(r"([\d.]+) ms", results.get(stack, {}).get(key, ""))
    return float(m[1]) if m else None


for key, p95, what in (("iopen", "ip95", "rounds alternating between the stacks"), ("open", "p95", "one block per stack")):
    ours, pion = ms("swiftrtc", key), ms("pion", key)
    if ours and pion:
        print(f"offer->open median ({what}): SwiftRTC / Pion = {ours / pion:.2f}x (goal <= 0.8x)")
    if ours and ms("swiftrtc", p95):
        print(f"offer->open ({what}): SwiftRTC p95 / median = {ms('swiftrtc', p95) / ours:.2f} (goal < 2)")
