#!/usr/bin/env python3
"""aioice peer for the RTCICE interop tests (Tests/RTCICETests/ICEAioiceInteropTests.swift).

Usage: ice-aioice-peer.py controlling|controlled
Protocol (JSON lines): prints {"ufrag","pwd","candidates"}; reads the same from stdin; connects;
prints {"connected": true}; sends b"hello from aioice"; then echoes every datagram as
b"echo:" + data (printing {"received": text}) until it receives b"bye".
Runs on 127.0.0.1 only: aioice.ice.get_host_addresses is replaced (it skips loopback).
"""
import asyncio
import json
import sys

import aioice
import aioice.ice
from aioice import Candidate, Connection

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def emit(obj):
    print(json.dumps(obj), flush=True)


async def main():
    controlling = sys.argv[1] == "controlling"
    conn = Connection(ice_controlling=controlling, components=1, use_ipv6=False)
    await conn.gather_candidates()
    emit({"ufrag": conn.local_username, "pwd": conn.local_password,
          "candidates": ["candidate:" + c.to_sdp() for c in conn.local_candidates]})
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    remote = json.loads(line)
    conn.remote_username = remote["ufrag"]
    conn.remote_password = remote["pwd"]
    for c in remote["candidates"]:
        if c.startswith("candidate:"):
            c = c[len("candidate:"):]
        await conn.add_remote_candidate(Candidate.from_sdp(c))
    await conn.add_remote_candidate(None)
    await asyncio.wait_for(conn.connect(), 20)
    emit({"connected": True})
    await conn.send(b"hello from aioice")
    while True:
        data = await asyncio.wait_for(conn.recv(), 20)
        emit({"received": data.decode(errors="replace")})
        await conn.send(b"echo:" + data)
        if data == b"bye":
            break
    await asyncio.sleep(0.2)
    await conn.close()


asyncio.run(main())
