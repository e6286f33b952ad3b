"""aiortc <-> aiortc data-channel benchmark, the reference point for SwiftRTC's own.

Prints, in the same format as the Swift benchmark:
  offer->open median of N connections (ms) and bulk throughput (Mbit/s) for 50 MiB sent in
  16 KiB and 64 KiB messages. Loopback only (run inside `unshare --net`, see scripts/bench.sh).
With `memory [PAIRS] [CYCLES]`: RSS per idle connected RTCPeerConnection and RSS over
connect/close cycles, as `swiftrtc-bench memory` measures them (gc.collect() before each reading).
With `dc-recv OFFERS ANSWERS` / `dc-send OFFERS ANSWERS SIZE TOTAL`: bulk between two processes,
as `swiftrtc-bench dc-recv/dc-send` (TwoProcessBenchmark.swift) does it.
"""
import json
import os
import gc
import asyncio
import hashlib
import statistics
import sys
import time

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

# On a loopback-only host aioice gathers nothing; give it 127.0.0.1 explicitly.
aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"]


async def connect_pair():
    config = RTCConfiguration(iceServers=[])
    a, b = RTCPeerConnection(config), RTCPeerConnection(config)
    opened = asyncio.get_running_loop().create_future()
    channel_b = asyncio.get_running_loop().create_future()

    @b.on("datachannel")
    def on_dc(ch):
        channel_b.set_result(ch)

    t0 = time.perf_counter()
    ch = a.createDataChannel("bench")

    @ch.on("open")
    def on_open():
        if not opened.done():
            opened.set_result(time.perf_counter())

    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    t_open = await asyncio.wait_for(opened, 30)
    return a, b, ch, await asyncio.wait_for(channel_b, 30), (t_open - t0) * 1000


async def bulk(message_size, total):
    a, b, ch, rx, _ = await connect_pair()
    done = asyncio.get_running_loop().create_future()
    digest = hashlib.sha256()
    received = 0

    @rx.on("message")
    def on_message(m):
        nonlocal received
        digest.update(m)
        received += len(m)
        if received >= total and not done.done():
            done.set_result(time.perf_counter())

    payload = bytes(i % 251 for i in range(message_size))
    # The digest the receiver must report, computed before the clock starts (the payload is the
    # same every message), as in the SwiftRTC and Pion benchmarks.
    expected = hashlib.sha256()
    for _ in range(0, total, message_size):
        expected.update(payload)
    ch.bufferedAmountLowThreshold = 1 << 20
    low = asyncio.Event()
    ch.on("bufferedamountlow", low.set)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    sent = 0
    while sent < total:
        if ch.bufferedAmount > 4 << 20:
            low.clear()
            await low.wait()
        ch.send(payload)
        sent += message_size
    t1 = await asyncio.wait_for(done, 600)
    cpu = time.process_time() - cpu0
    ok = digest.hexdigest() == expected.hexdigest()
    await a.close()
    await b.close()
    mbit = total * 8 / (t1 - t0) / 1e6
    return mbit, cpu, ok


def rss_kib():
    gc.collect()
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


async def close_pair(a, b):
    await a.close()
    await b.close()


async def memory(pairs, cycles):
    for _ in range(50):
        a, b, _, _, _ = await connect_pair()
        await close_pair(a, b)
    warm = rss_kib()
    marks = []
    for cycle in range(1, cycles + 1):
        a, b, _, _, _ = await connect_pair()
        await close_pair(a, b)
        if cycle % max(cycles // 4, 1) == 0:
            marks.append(rss_kib())
    end = rss_kib()
    print(f"aiortc cycles: {cycles} connect/close cycles: RSS {warm} KiB after warm-up -> {end} KiB "
          f"({(end - warm) * 100 / warm:+.1f} %) [{' '.join(map(str, marks))} KiB]", flush=True)
    before = rss_kib()
    held = [await connect_pair() for _ in range(pairs)]
    await asyncio.sleep(2)
    after = rss_kib()
    print(f"aiortc memory: {pairs} idle pairs: RSS {before} KiB -> {after} KiB = "
          f"{(after - before) / (2 * pairs):.1f} KiB per idle connected PeerConnection", flush=True)
    for a, b, _, _, _ in held:
        await close_pair(a, b)


def cpu_seconds():
    t = os.times()
    return t.user + t.system


async def read_line(f):
    line = await asyncio.get_running_loop().run_in_executor(None, f.readline)
    if not line:
        raise SystemExit("aiortc two-process: the signaling pipe closed")
    return line.rstrip("\n")


def write_description(f, d):
    f.write(json.dumps({"type": d.type, "sdp": d.sdp}) + "\n")
    f.flush()


async def read_description(f):
    d = json.loads(await read_line(f))
    return RTCSessionDescription(sdp=d["sdp"], type=d["type"])


async def two_process_receive(offers, answers):
    inp = open(offers)
    out = open(answers, "w")
    total = int(await read_line(inp))
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    channel = asyncio.get_running_loop().create_future()
    pc.on("datachannel", lambda ch: channel.set_result(ch))
    await pc.setRemoteDescription(await read_description(inp))
    await pc.setLocalDescription(await pc.createAnswer())
    write_description(out, pc.localDescription)
    rx = await asyncio.wait_for(channel, 30)
    done = asyncio.get_running_loop().create_future()
    digest = hashlib.sha256()
    received = 0
    cpu0 = cpu_seconds()

    @rx.on("message")
    def on_message(m):
        nonlocal received
        digest.update(m)
        received += len(m)
        if received >= total and not done.done():
            done.set_result(cpu_seconds() - cpu0)

    cpu = await asyncio.wait_for(done, 600)
    out.write(f"done {cpu:.3f} {digest.hexdigest()}\n")
    out.flush()
    while await asyncio.get_running_loop().run_in_executor(None, inp.readline):
        pass
    await pc.close()


async def two_process_send(offers, answers, size, total):
    out = open(offers, "w")
    inp = open(answers)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    ch = pc.createDataChannel("bench")
    opened = asyncio.get_running_loop().create_future()
    ch.on("open", lambda: opened.done() or opened.set_result(True))
    await pc.setLocalDescription(await pc.createOffer())
    out.write(f"{total}\n")
    write_description(out, pc.localDescription)
    await pc.setRemoteDescription(await read_description(inp))
    await asyncio.wait_for(opened, 30)
    payload = bytes(i % 251 for i in range(size))
    # The digest the receiver must report, computed before the clock starts (the payload is the
    # same every message), as in the SwiftRTC and Pion benchmarks.
    expected = hashlib.sha256()
    for _ in range(0, total, size):
        expected.update(payload)
    ch.bufferedAmountLowThreshold = 1 << 20
    low = asyncio.Event()
    ch.on("bufferedamountlow", low.set)
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    sent = 0
    while sent < total:
        if ch.bufferedAmount > 4 << 20:
            low.clear()
            await low.wait()
        ch.send(payload)
        sent += size
    fields = (await read_line(inp)).split()
    elapsed = time.perf_counter() - t0
    cpu = cpu_seconds() - cpu0
    receiver_cpu = float(fields[1])
    ok = fields[2] == expected.hexdigest()
    print(f"aiortc two-process bulk {size >> 10} KiB messages: {total * 8 / elapsed / 1e6:.1f} Mbit/s, "
          f"{cpu:.2f} + {receiver_cpu:.2f} CPU-s (sender + receiver) for {total >> 20} MiB = "
          f"{(cpu + receiver_cpu) * (1 << 30) / total:.2f} CPU-s per GiB, sha256 {'match' if ok else 'MISMATCH'}", flush=True)
    out.close()
    await pc.close()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[(len(ordered) * p + 99) // 100 - 1]


async def main():
    if len(sys.argv) > 3 and sys.argv[1] == "dc-recv":
        await two_process_receive(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) > 5 and sys.argv[1] == "dc-send":
        await two_process_send(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "memory":
        await memory(int(sys.argv[2]) if len(sys.argv) > 2 else 1000, int(sys.argv[3]) if len(sys.argv) > 3 else 1000)
        return
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 50 << 20
    # Warm-up, untimed, as in the SwiftRTC and Pion benchmarks: 20 connections first.
    for _ in range(20):
        a, b, _, _, _ = await connect_pair()
        await a.close()
        await b.close()
    times = []
    for _ in range(runs):
        a, b, _, _, ms = await connect_pair()
        times.append(ms)
        await a.close()
        await b.close()
    print(f"aiortc offer->open: median {statistics.median(times):.1f} ms over {runs} connections, "
          f"p95 {percentile(times, 95):.1f} ms, max {max(times):.1f} ms", flush=True)
    for size in (16 << 10, 64 << 10):
        mbit, cpu, ok = await bulk(size, total)
        print(f"aiortc bulk {size >> 10} KiB messages: {mbit:.1f} Mbit/s, {cpu:.2f} CPU-s for {total >> 20} MiB, sha256 {'match' if ok else 'MISMATCH'}")


asyncio.run(main())
