#!/usr/bin/env python3
"""Two aiortc peers connect through a TURN server using only relay candidates, with
credentials fetched from the SwiftRTC signaling server's /turn-credentials endpoint.

Usage: signaling-turn-relay.py http://127.0.0.1:PORT
Prints "CREDENTIALS <username>", then "RELAY OK <local type> <remote type>" when a data
channel message crossed through TURN, or "RELAY FAIL <reason>" (exit 1). Loopback only;
bounded to 30 s.
"""
import asyncio
import json
import sys
import urllib.request

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection
from aiortc.rtcconfiguration import RTCIceTransportPolicy

# On a loopback-only host aioice gathers nothing unless 127.0.0.1 is offered (INTEROP.md).
aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"]


def fetch_credentials(base):
    with urllib.request.urlopen(base + "/turn-credentials?user=relay-test", timeout=20) as response:
        return json.loads(response.read())


async def main(base):
    creds = fetch_credentials(base)
    print("CREDENTIALS", creds["username"], flush=True)
    server = RTCIceServer(urls=creds["uris"], username=creds["username"], credential=creds["password"])
    config = RTCConfiguration(iceServers=[server], iceTransportPolicy=RTCIceTransportPolicy.RELAY)
    a, b = RTCPeerConnection(config), RTCPeerConnection(config)
    got = asyncio.get_running_loop().create_future()

    channel = a.createDataChannel("chat")

    @channel.on("open")
    def on_open():
        channel.send("hello through TURN")

    @b.on("datachannel")
    def on_datachannel(remote):
        @remote.on("message")
        def on_message(message):
            if not got.done():
                got.set_result(message)

    await a.setLocalDescription(await a.createOffer())
    offer_types = {line.split()[7] for line in a.localDescription.sdp.splitlines() if line.startswith("a=candidate:")}
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    try:
        message = await asyncio.wait_for(got, 25)
    except asyncio.TimeoutError:
        print("RELAY FAIL no message within 25 s (ICE state %s)" % a.iceConnectionState, flush=True)
        return 1
    try:
        pair = a.sctp.transport.transport._connection._nominated.get(1)
    except AttributeError:
        pair = None
    local_type = pair.local_candidate.type if pair else "?"
    remote_type = pair.remote_candidate.type if pair else "?"
    await a.close()
    await b.close()
    if offer_types != {"relay"}:
        print("RELAY FAIL offer had candidate types %s" % sorted(offer_types), flush=True)
        return 1
    if message != "hello through TURN":
        print("RELAY FAIL wrong message %r" % message, flush=True)
        return 1
    print("RELAY OK", local_type, remote_type, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(asyncio.wait_for(main(sys.argv[1]), 30)))
