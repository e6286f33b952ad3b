"""An aiortc media peer driven over stdin/stdout with JSON lines, for SwiftRTC's media interop
tests (complete descriptions, like aiortc_peer.py; loopback only).

Usage: aiortc_media_peer.py offer|answer PARAMS_JSON
  PARAMS_JSON: {"play": "FILE", "recv": true, "codec": "VP8"|"H264", "record": "FILE.mkv"}
  - play: a media file aiortc's MediaPlayer reads; its audio and video tracks are sent
    (aiortc encodes them: VP8 or H.264 by codec preference, Opus);
  - recv: with role offer, ask for audio and video from the peer (recvonly if not playing);
  - codec: the video codec aiortc prefers (setCodecPreferences);
  - record: aiortc's MediaRecorder also writes the remote tracks to this file (closed on stdin
    EOF, then {"event": "recorded"} is printed).
Prints the local description, {"event": "track", "kind": ...} per remote track, and every
500 ms {"event": "frames", "video": N, "audio": N, "width": W, "height": H, "codec": ...} with
the frames aiortc decoded from each remote track so far. Exits on stdin EOF.
"""
import asyncio
import json
import sys

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer, MediaRecorder, MediaRelay

aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"]

counts = {"video": 0, "audio": 0, "width": 0, "height": 0, "codec": None}


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def prefer(transceiver, codec):
    if not codec or transceiver.kind != "video":
        return
    caps = RTCRtpSender.getCapabilities("video").codecs
    first = [c for c in caps if c.mimeType.lower() == "video/" + codec.lower()]
    rest = [c for c in caps if c.mimeType.lower() != "video/" + codec.lower()]
    if first:
        transceiver.setCodecPreferences(first + rest)


async def consume(track):
    while True:
        try:
            frame = await track.recv()
        except Exception:
            return
        counts[track.kind] += 1
        if track.kind == "video":
            counts["width"], counts["height"] = frame.width, frame.height


async def report(pc):
    while True:
        await asyncio.sleep(0.5)
        for t in pc.getTransceivers():
            if t.kind == "video" and t.receiver and t.receiver._RTCRtpReceiver__codecs:
                counts["codec"] = next(iter(t.receiver._RTCRtpReceiver__codecs.values())).mimeType
        emit({"event": "frames", **counts})


async def main(role, params):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    codec = params.get("codec")

    recorder = MediaRecorder(params["record"]) if params.get("record") else None
    relay = MediaRelay()

    @pc.on("track")
    def on_track(track):
        emit({"event": "track", "kind": track.kind})
        if recorder:
            recorder.addTrack(relay.subscribe(track))
            asyncio.ensure_future(consume(relay.subscribe(track)))
        else:
            asyncio.ensure_future(consume(track))

    player = MediaPlayer(params["play"]) if params.get("play") else None
    if role == "offer":
        for kind in ("audio", "video"):
            track = getattr(player, kind) if player else None
            if track:
                t = pc.addTransceiver(track, direction="sendrecv" if params.get("recv") else "sendonly")
                prefer(t, codec)
            elif params.get("recv"):
                prefer(pc.addTransceiver(kind, direction="recvonly"), codec)
        await pc.setLocalDescription(await pc.createOffer())
        emit({"type": "offer", "sdp": pc.localDescription.sdp})
        answer = json.loads(await reader.readline())
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    else:
        offer = json.loads(await reader.readline())
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        for t in pc.getTransceivers():
            track = getattr(player, t.kind) if player else None
            if track:
                t.sender.replaceTrack(track)
                t.direction = "sendrecv" if t.direction in ("sendrecv", "recvonly") else "sendonly"
            prefer(t, codec)
        await pc.setLocalDescription(await pc.createAnswer())
        emit({"type": "answer", "sdp": pc.localDescription.sdp})
    if recorder:
        await recorder.start()
    reporter = asyncio.ensure_future(report(pc))
    while await reader.readline():
        pass
    reporter.cancel()
    if recorder:
        await recorder.stop()
        emit({"event": "recorded"})
    await pc.close()


asyncio.run(main(sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}))
