#!/usr/bin/env python3
"""Load test for the SwiftRTC signaling server (loopback only, bounded in count and time).

Connects N WebSocket clients (default 1,000) in R rooms (default 100), then relays M messages
(default 100,000) as `ice_candidate`s between members of the same room, and prints
messages/s, relay latency (p50/p99/max) and the server's RSS from /proc/<pid>/status.

  # start the server itself (recommended; raises the fd limit for it):
  .venv/bin/python scripts/signaling-load.py --server-bin .build/release/swiftrtc
  # or measure a running server:
  .venv/bin/python scripts/signaling-load.py --url ws://127.0.0.1:8080/ws --server-pid PID

Needs the `websockets` package (scripts/install-peers.sh installs it into .venv). The client
side is one Python process, so on a small machine it may be the bottleneck, not the server.
"""
import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import websockets


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default=None, help="ws:// URL of a running server (loopback only)")
    p.add_argument("--server-bin", default=None, help="swiftrtc executable to start on a free port")
    p.add_argument("--server-pid", type=int, default=None, help="pid of a running server, for its RSS")
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--rooms", type=int, default=100)
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--window", type=int, default=2000, help="most messages in flight at once (so latency is relay time, not queueing in this script)")
    p.add_argument("--timeout", type=float, default=180, help="give up after this many seconds")
    return p.parse_args()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = int(value.split()[0])
    except OSError:
        pass
    return fields


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


class Stats:
    def __init__(self, expected):
        self.expected = expected
        self.received = 0
        self.latencies_us = []
        self.errors = []
        self.done = asyncio.Event()
        self.window = None


async def client(url, peer, room, stats, joined, ready, go):
    ws = await websockets.connect(url, max_size=1 << 20, ping_interval=None, open_timeout=30)
    await ws.send(json.dumps({"type": "join", "peer_id": peer, "room_id": room}))
    members = []

    async def reader():
        async for raw in ws:
            m = json.loads(raw)
            t = m.get("type")
            if t == "ice_candidate":
                sent_ns = int(m["candidate"]["candidate"].rsplit(" ", 1)[1])
                stats.latencies_us.append((time.perf_counter_ns() - sent_ns) / 1000)
                stats.received += 1
                stats.window.release()
                if stats.received >= stats.expected:
                    stats.done.set()
            elif t == "room_peers":
                members.extend(m["peers"])
                joined.release()
            elif t == "peer_joined":
                members.append(m["peer_id"])
            elif t == "error":
                stats.errors.append(m)

    task = asyncio.create_task(reader())
    return ws, task, members


async def run(args):
    host = urllib.parse.urlparse(args.url).hostname
    if host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit("refusing to load anything but a loopback server (got %s)" % host)
    per_client = args.messages // args.clients
    total = per_client * args.clients
    stats = Stats(total)
    stats.window = asyncio.Semaphore(args.window)
    joined = asyncio.Semaphore(0)

    # Connect in batches so the accept queue is not flooded.
    t0 = time.perf_counter()
    clients = []
    for start in range(0, args.clients, 100):
        batch = [client(args.url, "p%d" % i, "room-%d" % (i % args.rooms), stats, joined, None, None)
                 for i in range(start, min(start + 100, args.clients))]
        clients += await asyncio.gather(*batch)
    for _ in range(args.clients):
        await joined.acquire()
    connect_s = time.perf_counter() - t0
    print(f"connected and joined {args.clients} clients in {args.rooms} rooms in {connect_s:.2f} s", flush=True)
    await asyncio.sleep(0.5)  # let the last peer_joined notifications land

    # Each client sends per_client candidates round-robin to the other members of its room.
    async def sender(index):
        ws, _, members = clients[index]
        me = "p%d" % index
        targets = [m for m in members if m != me]
        if not targets:
            return
        for n in range(per_client):
            target = targets[n % len(targets)]
            await stats.window.acquire()
            candidate = "candidate:%d 1 udp 1 127.0.0.1 9 typ host seq %d %d" % (index, n, time.perf_counter_ns())
            await ws.send(json.dumps({"type": "ice_candidate", "target": target,
                                      "candidate": {"candidate": candidate, "sdpMid": "0", "sdpMLineIndex": 0}}))

    t1 = time.perf_counter()
    await asyncio.gather(*(sender(i) for i in range(args.clients)))
    try:
        await asyncio.wait_for(stats.done.wait(), timeout=max(1.0, args.timeout - (time.perf_counter() - t0)))
    except asyncio.TimeoutError:
        print(f"timed out: {stats.received} of {total} messages arrived", flush=True)
    elapsed = time.perf_counter() - t1
    for ws, task, _ in clients:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws, _, _ in clients), return_exceptions=True)
    lat = sorted(stats.latencies_us)
    return stats, total, elapsed, lat


def main():
    args = parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.clients * 2 + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, soft)), hard))
    server = None
    pid = args.server_pid
    if args.server_bin:
        port = free_port()
        args.url = f"ws://127.0.0.1:{port}/ws"
        server = subprocess.Popen([args.server_bin, "serve", "--port", str(port), "--log-level", "warning"])
        pid = server.pid
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
    if not args.url:
        args.url = "ws://127.0.0.1:8080/ws"
    try:
        before = rss_kib(pid) if pid else {}
        stats, total, elapsed, lat = asyncio.run(run(args))
        after = rss_kib(pid) if pid else {}
    finally:
        if server:
            server.terminate()
            server.wait(timeout=20)
    print(f"relayed {stats.received} of {total} messages in {elapsed:.2f} s: {stats.received / elapsed:,.0f} messages/s")
    print(f"relay latency: p50 {percentile(lat, 0.50) / 1000:.2f} ms, p99 {percentile(lat, 0.99) / 1000:.2f} ms, max {lat[-1] / 1000 if lat else float('nan'):.2f} ms")
    if pid:
        print(f"server RSS: {before.get('VmRSS', 0) / 1024:.1f} MiB before, {after.get('VmRSS', 0) / 1024:.1f} MiB after, peak {after.get('VmHWM', 0) / 1024:.1f} MiB (pid {pid})")
    if stats.errors:
        print(f"{len(stats.errors)} error replies, first: {stats.errors[0]}")
    sys.exit(0 if stats.received == total and not stats.errors else 1)


if __name__ == "__main__":
    main()
