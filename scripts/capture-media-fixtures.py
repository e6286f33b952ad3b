#!/usr/bin/env python3
"""Captures COMPLETE plaintext RTP media streams sent by headless Chromium as test fixtures.

Headless Chromium (fake camera + fake microphone, 320x240) opens one peer connection per video
codec to aiortc and sends for a few seconds: VP8 with Opus audio, then H.264 (packetization
mode 1, constrained baseline 42e01f), VP9 (profile 0) and AV1, each forced with
setCodecPreferences. aiortc answers and only receives. On the wire the media is SRTP, so this
script wraps aiortc's pylibsrtp Session (as scripts/capture-rtp-fixtures.py does) and records
every RTP packet Chromium sent right after `unprotect`, in arrival order. aiortc cannot decode
VP9 or AV1, so for those two it gets a codec entry (to answer them) and a decoder that
discards frames; nothing else is changed and no packet is dropped.

Each stream (one SSRC, one payload type; RTX left out, but padding-only packets on the media
SSRC kept, as Chromium sends them when no RTX is negotiated, e.g. for AV1 here) is cut after its
last complete frame and checked for gaps, then written to Tests/RTCMediaTests/Fixtures/ as
`chromium-<codec>.rtp` (packets in arrival order, each preceded by its length as a 16-bit
big-endian integer) plus `manifest.json` (codec, payload type, clock rate, SSRC, fmtp, counts).
See FIXTURES.md there.

Run it inside a private network namespace (loopback only):
  unshare --net bash -c 'ip link set lo up; .venv/bin/python scripts/capture-media-fixtures.py'
CAPTURE_SECONDS (default 4) sets how long each codec sends once all calls are connected.
"""

import asyncio
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import aioice.ice
import aiortc.rtcdtlstransport as dtlstransport
import aiortc.rtcrtpreceiver as rtpreceiver
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import CODECS
from aiortc.contrib.media import MediaBlackhole
from aiortc.rtcrtpparameters import RTCRtcpFeedback, RTCRtpCodecParameters

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "RTCMediaTests", "Fixtures")
SECONDS = float(os.environ.get("CAPTURE_SECONDS", "4"))
WIDTH, HEIGHT = 320, 240  # asked of the fake camera, kept by degradationPreference maintain-resolution
# label -> (mimeType, fmtp line Chromium must offer (None: any), also send audio)
CALLS = {
    "vp8": ("video/VP8", None, True),
    "h264": ("video/H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", False),
    "vp9": ("video/VP9", "profile-id=0", False),
    "av1": ("video/AV1", None, False),
}

# Loopback-only host: let aioice gather 127.0.0.1 (INTEROP.md).
aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: ["127.0.0.1"]


def _add_video_codec(mime, payload_type, parameters):
    feedback = [RTCRtcpFeedback(type="nack"), RTCRtcpFeedback(type="nack", parameter="pli")]
    CODECS["video"].append(RTCRtpCodecParameters(
        mimeType=mime, clockRate=90000, payloadType=payload_type, rtcpFeedback=feedback, parameters=parameters))
    CODECS["video"].append(RTCRtpCodecParameters(
        mimeType="video/rtx", clockRate=90000, payloadType=payload_type + 1, parameters={"apt": payload_type}))


# aiortc has no VP9 or AV1: let it answer them, and give its receiver a decoder that discards.
_add_video_codec("video/VP9", 120, {"profile-id": "0"})
_add_video_codec("video/AV1", 122, {})


class DiscardingDecoder:
    def decode(self, encoded_frame):
        return []


_real_get_decoder = rtpreceiver.get_decoder
rtpreceiver.get_decoder = lambda codec: (
    DiscardingDecoder() if codec.mimeType.lower() in ("video/vp9", "video/av1") else _real_get_decoder(codec))

# Record plaintext RTP around SRTP, in arrival order.
captured = []  # bytes of each RTP packet Chromium sent
recording = [True]
RealSession = dtlstransport.Session


class RecordingSession:
    def __init__(self, policy):
        self._session = RealSession(policy)

    def protect(self, data):
        return self._session.protect(data)

    def protect_rtcp(self, data):
        return self._session.protect_rtcp(data)

    def unprotect(self, data):
        plain = self._session.unprotect(data)
        if recording[0]:
            captured.append(bytes(plain))
        return plain

    def unprotect_rtcp(self, data):
        return self._session.unprotect_rtcp(data)


dtlstransport.Session = RecordingSession

PAGE = """<!doctype html><html><body><script>
const CALLS = %s;
const report = (m) => fetch('/log', {method: 'POST', body: String(m)});
async function call(label, [mime, fmtp, withAudio]) {
  const stream = await navigator.mediaDevices.getUserMedia(
    {audio: withAudio, video: {width: %d, height: %d}});
  const pc = new RTCPeerConnection();
  pc.onconnectionstatechange = () => report(label + ' state ' + pc.connectionState);
  for (const track of stream.getTracks()) {
    const transceiver = pc.addTransceiver(track, {direction: 'sendonly', streams: [stream]});
    if (track.kind !== 'video') continue;
    const codecs = RTCRtpSender.getCapabilities('video').codecs.filter((c) =>
      (c.mimeType === mime && (fmtp === null || c.sdpFmtpLine === fmtp)) || c.mimeType === 'video/rtx');
    if (!codecs.some((c) => c.mimeType === mime)) throw new Error('this Chromium cannot send ' + mime);
    transceiver.setCodecPreferences(codecs);
    const params = transceiver.sender.getParameters();
    params.degradationPreference = 'maintain-resolution';
    if (params.encodings && params.encodings.length) params.encodings[0].maxBitrate = 250000;
    try { await transceiver.sender.setParameters(params); } catch (e) { report(label + ' setParameters ' + e); }
  }
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve(); };
  });
  const answer = await (await fetch('/offer?' + label, {method: 'POST', body: pc.localDescription.sdp})).text();
  await pc.setRemoteDescription({type: 'answer', sdp: answer});
  window['pc_' + label] = pc;
}
(async () => {
  for (const [label, spec] of Object.entries(CALLS)) {
    try { await call(label, spec); } catch (e) { report(label + ' error ' + e); }
  }
})();
</script></body></html>""" % (json.dumps({k: list(v) for k, v in CALLS.items()}), WIDTH, HEIGHT)

pcs = []
answers = {}  # label -> answer SDP
connected = set()
failed = []


async def answer(label, offer_sdp):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pcs.append(pc)

    @pc.on("track")
    def on_track(track):
        sink = MediaBlackhole()
        sink.addTrack(track)
        asyncio.ensure_future(sink.start())

    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    answers[label] = pc.localDescription.sdp
    return pc.localDescription.sdp


async def handle(reader, writer):
    try:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return
        lines = head.decode().split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        length = 0
        for line in lines[1:]:
            if line.lower().startswith("content-length:"):
                length = int(line.split(":", 1)[1])
        body = (await reader.readexactly(length)).decode() if length else ""
        if path == "/":
            out, ctype = PAGE, "text/html"
        elif path.startswith("/offer?"):
            out, ctype = await answer(path.split("?", 1)[1], body), "text/plain"
        else:
            print("page:", body, flush=True)
            words = body.split(" ")
            if len(words) >= 3 and words[1:3] == ["state", "connected"]:
                connected.add(words[0])
            elif words[1:2] == ["error"] or words[1:3] == ["state", "failed"]:
                failed.append(body)
            out, ctype = "ok", "text/plain"
        data = out.encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype.encode()
            + b"\r\nContent-Length: " + str(len(data)).encode()
            + b"\r\nConnection: close\r\n\r\n" + data
        )
        await writer.drain()
    finally:
        writer.close()


def negotiated_codecs():
    """payload type -> (codec name, clock rate, channels, fmtp), from the answers."""
    codecs = {}
    for sdp in answers.values():
        fmtps = {}
        for line in sdp.splitlines():
            if line.startswith("a=fmtp:"):
                pt, params = line[7:].split(" ", 1)
                fmtps[int(pt)] = params
        for line in sdp.splitlines():
            if line.startswith("a=rtpmap:"):
                pt, desc = line[9:].split(" ", 1)
                parts = desc.split("/")
                channels = int(parts[2]) if len(parts) > 2 else None
                codecs[int(pt)] = (parts[0], int(parts[1]), channels, fmtps.get(int(pt), ""))
    return codecs


def payload_length(packet):
    """Bytes of payload after the RTP header, CSRCs, extension and padding."""
    header = 12 + 4 * (packet[0] & 0x0F)
    if packet[0] & 0x10:
        header += 4 + 4 * struct.unpack("!H", packet[header + 2:header + 4])[0]
    padding = packet[-1] if packet[0] & 0x20 else 0
    return len(packet) - header - padding


def complete_stream(packets, is_video):
    """The packets up to the last frame end (marker bit), after checking for sequence gaps."""
    extended, last, cycles = [], None, 0
    for p in packets:
        seq = struct.unpack("!H", p[2:4])[0]
        if last is not None and seq < last and last - seq > 0x8000:
            cycles += 1
        last = seq
        extended.append(cycles * 0x10000 + seq)
    if is_video:
        ends = [e for e, p in zip(extended, packets) if p[1] & 0x80]
        if not ends:
            return [], "no frame end"
        cut = max(ends)
        kept = [(e, p) for e, p in zip(extended, packets) if e <= cut]
    else:
        kept = list(zip(extended, packets))
    numbers = sorted(e for e, _ in kept)
    if len(set(numbers)) != len(numbers) or numbers[-1] - numbers[0] + 1 != len(numbers):
        return [], f"sequence gaps or duplicates ({len(numbers)} packets over {numbers[-1] - numbers[0] + 1} numbers)"
    return [p for _, p in kept], None


def write_fixtures(chromium_version):
    codecs = negotiated_codecs()
    streams = {}  # (ssrc, pt) -> packets
    for packet in captured:
        pt = packet[1] & 0x7F
        ssrc = struct.unpack("!I", packet[8:12])[0]
        if codecs.get(pt, ("rtx",))[0].lower() in ("rtx", "red", "ulpfec"):
            continue
        streams.setdefault((ssrc, pt), []).append(packet)
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.endswith(".rtp"):
            os.remove(os.path.join(OUT, name))
    manifest = {"source": chromium_version, "streams": []}
    problems = []
    for (ssrc, pt), packets in sorted(streams.items(), key=lambda item: codecs[item[0][1]][0]):
        name, clock, channels, fmtp = codecs[pt]
        kept, problem = complete_stream(packets, clock == 90000)
        if problem:
            problems.append(f"{name} ssrc {ssrc}: {problem}")
            continue
        file = f"chromium-{name.lower()}.rtp"
        with open(os.path.join(OUT, file), "wb") as f:
            for p in kept:
                f.write(struct.pack("!H", len(p)) + p)
        media = [p for p in kept if payload_length(p) > 0]
        timestamps = {struct.unpack("!I", p[4:8])[0] for p in media}
        entry = {"file": file, "codec": name, "payloadType": pt, "clockRate": clock, "ssrc": ssrc, "fmtp": fmtp,
                 "packets": len(kept), "paddingOnlyPackets": len(kept) - len(media), "frames": len(timestamps), "bytes": sum(len(p) for p in kept)}
        if channels:
            entry["channels"] = channels
        if clock == 90000:
            entry["width"], entry["height"] = WIDTH, HEIGHT
        manifest["streams"].append(entry)
        print(f"  {file}: {entry['packets']} packets, {entry['frames']} frames, {entry['bytes']} bytes")
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    return manifest, problems


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    profile = tempfile.mkdtemp(prefix="chromium-capture-")
    version = subprocess.run(["chromium", "--version"], capture_output=True, text=True).stdout.strip()
    chromium = subprocess.Popen(
        [
            "chromium", "--headless=new", "--no-sandbox", f"--user-data-dir={profile}",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--allow-loopback-in-peer-connection",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"http://127.0.0.1:{port}/",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            if len(connected) == len(CALLS) or failed:
                break
            await asyncio.sleep(0.1)
        if len(connected) != len(CALLS):
            print(f"not all calls connected: {sorted(connected)}; {failed}", file=sys.stderr)
            sys.exit(1)
        await asyncio.sleep(SECONDS)
        recording[0] = False
    finally:
        recording[0] = False
        chromium.terminate()
        try:
            chromium.wait(timeout=10)
        except subprocess.TimeoutExpired:
            chromium.kill()
        for pc in pcs:
            await pc.close()
        server.close()
        shutil.rmtree(profile, ignore_errors=True)
    print(f"captured {len(captured)} RTP packets from {version}", flush=True)
    manifest, problems = write_fixtures(version)
    for problem in problems:
        print("incomplete stream, not written:", problem, file=sys.stderr)
    wanted = {v[0].split("/")[1].lower() for v in CALLS.values()} | {"opus"}
    written = {s["codec"].lower() for s in manifest["streams"]}
    if problems or not wanted <= written:
        print(f"missing streams: {sorted(wanted - written)}; run again", file=sys.stderr)
        sys.exit(1)
    print(f"wrote {len(manifest['streams'])} streams to {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
