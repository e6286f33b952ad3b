"""An aiortc peer driven over stdin/stdout with JSON lines, for SwiftRTC's interop tests.

Usage: aiortc_peer.py offer|answer [--turn URL USERNAME PASSWORD] [--relay]
  --turn:  a TURN server for relayed candidates (e.g. turn:127.0.0.1:3478?transport=udp)
  --relay: iceTransportPolicy "relay" (relayed candidates only)
  offer:  creates a data channel "chat", prints {"type":"offer","sdp":...}, reads the answer.
  answer: reads {"type":"offer",...}, prints {"type":"answer","sdp":...}.
Then on every data channel: text and binary messages are echoed back as they came, except
  text "digest"  -> replies "digest:<sha256 hex of binary bytes received>:<byte count>" and resets;
  text "close"   -> closes the channel.
Prints {"event":"open","label":...}, {"event":"close","label":...} lines. Exits on stdin EOF.
aiortc sends complete descriptions (it does not trickle). Loopback only.
"""
import asyncio
import hashlib
import json
import sys

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy, RTCPeerConnection, RTCSessionDescription

aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"]


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def attach(channel):
    state = {"hash": hashlib.sha256(), "bytes": 0}

    @channel.on("open")
    def on_open():
        emit({"event": "open", "label": channel.label})

    @channel.on("close")
    def on_close():
        emit({"event": "close", "label": channel.label})

    @channel.on("message")
    def on_message(message):
        if isinstance(message, str):
            if message == "digest":
                channel.send(f"digest:{state['hash'].hexdigest()}:{state['bytes']}")
                state["hash"], state["bytes"] = hashlib.sha256(), 0
            elif message == "close":
                channel.close()
            else:
                channel.send(message)
        else:
            if channel.label == "bulk":
                state["hash"].update(message)
                state["bytes"] += len(message)
            else:
                channel.send(message)

    if channel.readyState == "open":
        emit({"event": "open", "label": channel.label})


def configuration(options):
    servers, policy = [], RTCIceTransportPolicy.ALL
    while options:
        option = options.pop(0)
        if option == "--turn":
            url, username, password = options[:3]
            del options[:3]
            servers.append(RTCIceServer(urls=[url], username=username, credential=password))
        elif option == "--relay":
            policy = RTCIceTransportPolicy.RELAY
        else:
            raise SystemExit(f"unknown option {option}")
    return RTCConfiguration(iceServers=servers, iceTransportPolicy=policy)


async def main(role, options):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    pc = RTCPeerConnection(configuration(options))
    pc.on("datachannel", attach)
    if role == "offer":
        attach(pc.createDataChannel("chat"))
        await pc.setLocalDescription(await pc.createOffer())
        emit({"type": "offer", "sdp": pc.localDescription.sdp})
        answer = json.loads(await reader.readline())
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    else:
        offer = json.loads(await reader.readline())
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        emit({"type": "answer", "sdp": pc.localDescription.sdp})
    while await reader.readline():
        pass
    await pc.close()


asyncio.run(main(sys.argv[1], sys.argv[2:]))
