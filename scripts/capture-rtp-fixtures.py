#!/usr/bin/env python3
"""Captures REAL plaintext RTP/RTCP from a headless-Chromium <-> aiortc call as test fixtures.

On the wire RTP/RTCP is SRTP/SRTCP-encrypted, so this script wraps aiortc's pylibsrtp Session
(the class aiortc.rtcdtlstransport uses) and records every packet in plaintext: what Chromium
sent (after unprotect/unprotect_rtcp) and what aiortc sends (before protect/protect_rtcp).

Chromium (fake camera VP8 + fake microphone Opus) loads a page from a tiny HTTP server here,
offers, posts its SDP; aiortc answers and echoes the media back, so Chromium both sends media
(RTP with one-byte header extensions, SR, SDES) and gives feedback (RR, REMB, transport-wide CC,
NACK/PLI when they appear). aiortc does not stamp transport-wide sequence numbers itself, so
this script negotiates the transport-cc extension and fills it in aiortc's header-extension
writer; that makes Chromium send transport-wide CC feedback (RTPFB FMT 15).

Run it inside a private network namespace (loopback only):
  unshare --net bash -c 'ip link set lo up; .venv/bin/python scripts/capture-rtp-fixtures.py'
It writes binary datagrams, both SDPs and manifest.json into Tests/RTCRTPTests/Fixtures/
(see FIXTURES.md there).
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
import pylibsrtp
import aiortc.rtcdtlstransport as dtlstransport
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import CODECS, HEADER_EXTENSIONS
from aiortc.rtcrtpparameters import RTCRtcpFeedback, RTCRtpHeaderExtensionParameters
from aiortc.rtp import HeaderExtensionsMap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "RTCRTPTests", "Fixtures")
SECONDS = float(os.environ.get("CAPTURE_SECONDS", "15"))
TWCC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

# Loopback-only host: let aioice gather 127.0.0.1 (INTEROP.md).
aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: ["127.0.0.1"]

# Negotiate transport-wide CC for video (aiortc answers with the offer's ids by URI).
HEADER_EXTENSIONS["video"].append(RTCRtpHeaderExtensionParameters(id=5, uri=TWCC_URI))
for codec in CODECS["video"]:
    if not any(fb.type == "transport-cc" for fb in codec.rtcpFeedback):
        codec.rtcpFeedback.append(RTCRtcpFeedback(type="transport-cc"))

_twcc_seq = [0]
_real_set = HeaderExtensionsMap.set


def _set_with_twcc(self, values):
    if values.transport_sequence_number is None:
        values.transport_sequence_number = _twcc_seq[0]
        _twcc_seq[0] = (_twcc_seq[0] + 1) & 0xFFFF
    return _real_set(self, values)


HeaderExtensionsMap.set = _set_with_twcc

# Record plaintext packets around SRTP.
captured = []  # (direction, kind, bytes)
RealSession = dtlstransport.Session


# Loss injection so that both sides send NACK/PLI: every LOSS_EVERY-th video RTP packet from
# aiortc leaves with a corrupted SRTP tag (Chromium drops it), and every LOSS_EVERY-th one from
# Chromium is discarded after decryption (aiortc never sees it). Between the BURST video packets
# every one is lost (retransmissions too), so the receivers give up on NACK and ask for a key
# frame (PLI).
LOSS_EVERY = 40
BURST = range(100, 220)
_sent_video = [0]
_received_video = [0]


def _is_video(plain):
    return len(plain) > 1200 or (len(plain) > 2 and (plain[1] & 0x7F) not in (111, 0, 8, 9))


class RecordingSession:
    def __init__(self, policy):
        self._session = RealSession(policy)

    def protect(self, data):
        captured.append(("aiortc", "rtp", bytes(data)))
        out = self._session.protect(data)
        if _is_video(data):
            _sent_video[0] += 1
            if _sent_video[0] % LOSS_EVERY == 0 or _sent_video[0] in BURST:
                out = out[:-1] + bytes([out[-1] ^ 0xFF])
        return out

    def protect_rtcp(self, data):
        captured.append(("aiortc", "rtcp", bytes(data)))
        return self._session.protect_rtcp(data)

    def unprotect(self, data):
        plain = self._session.unprotect(data)
        captured.append(("chromium", "rtp", bytes(plain)))
        if _is_video(plain):
            _received_video[0] += 1
            if _received_video[0] % LOSS_EVERY == 0 or _received_video[0] in BURST:
                raise pylibsrtp.Error("capture script: simulated loss")
        return plain

    def unprotect_rtcp(self, data):
        plain = self._session.unprotect_rtcp(data)
        captured.append(("chromium", "rtcp", bytes(plain)))
        return plain


dtlstransport.Session = RecordingSession

PAGE = """<!doctype html><html><body><script>
(async () => {
  const report = (m) => fetch('/log', {method: 'POST', body: String(m)});
  try {
    const pc = new RTCPeerConnection();
    const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
    for (const t of stream.getTracks()) pc.addTrack(t, stream);
    pc.ontrack = (e) => {
      const v = document.createElement(e.track.kind === 'video' ? 'video' : 'audio');
      v.srcObject = new MediaStream([e.track]); v.muted = true; v.autoplay = true;
      document.body.appendChild(v); v.play().catch(() => {});
    };
    pc.onconnectionstatechange = () => report('state ' + pc.connectionState);
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve(); };
    });
    const answer = await (await fetch('/offer', {method: 'POST', body: pc.localDescription.sdp})).text();
    await pc.setRemoteDescription({type: 'answer', sdp: answer});
    report('answered');
  } catch (e) { report('error ' + e); }
})();
</script></body></html>"""

pcs = []
sdps = {}


async def answer(offer_sdp):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pcs.append(pc)

    @pc.on("track")
    def on_track(track):
        pc.addTrack(track)  # echo back: Chromium then sends receiver feedback too

    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    sdps["chromium-offer.sdp"] = offer_sdp
    sdps["aiortc-answer.sdp"] = pc.localDescription.sdp
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
        elif path == "/offer":
            out, ctype = await answer(body), "text/plain"
        else:
            print("page:", body, flush=True)
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


def rtcp_types(data):
    """The (PT, FMT) of each packet in a compound RTCP datagram."""
    types, offset = [], 0
    while offset + 4 <= len(data):
        fmt = data[offset] & 0x1F
        pt = data[offset + 1]
        length = (struct.unpack("!H", data[offset + 2:offset + 4])[0] + 1) * 4
        if pt in (205, 206):
            types.append(f"{pt}.{fmt}")
        else:
            types.append(str(pt))
        offset += length
    return "+".join(types)


def write_fixtures():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.endswith(".bin"):
            os.remove(os.path.join(OUT, name))
    manifest = []
    groups = {}
    for index, (direction, kind, data) in enumerate(captured):
        if kind == "rtcp":
            key = (direction, rtcp_types(data))
        else:
            key = (direction, f"rtp-pt{data[1] & 0x7F}")
        groups.setdefault(key, []).append(index)
    chosen = set()
    for key, indices in groups.items():
        limit = 4 if "205.15" in key[1] else 2
        step = max(1, len(indices) // limit)
        chosen.update(indices[::step][:limit])
    for index in sorted(chosen):
        direction, kind, data = captured[index]
        key = (direction, rtcp_types(data) if kind == "rtcp" else "")
        label = key[1].replace("+", "_").replace(".", "-")
        name = f"{direction}-{kind}-{len(manifest):02d}-{label}.bin"
        if kind == "rtp":
            name = f"{direction}-rtp-{len(manifest):02d}-pt{data[1] & 0x7F}.bin"
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        manifest.append({"file": name, "from": direction, "kind": kind, "types": key[1], "bytes": len(data)})
    for name, sdp in sdps.items():
        with open(os.path.join(OUT, name), "w") as f:
            f.write(sdp)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    profile = tempfile.mkdtemp(prefix="chromium-capture-")
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
        await asyncio.sleep(SECONDS)
    finally:
        chromium.terminate()
        try:
            chromium.wait(timeout=10)
        except subprocess.TimeoutExpired:
            chromium.kill()
        for pc in pcs:
            await pc.close()
        server.close()
        shutil.rmtree(profile, ignore_errors=True)
    kinds = {}
    for direction, kind, data in captured:
        kinds[(direction, kind)] = kinds.get((direction, kind), 0) + 1
    print("captured:", kinds, flush=True)
    types = {}
    for direction, kind, data in captured:
        if kind == "rtcp":
            k = (direction, rtcp_types(data))
            types[k] = types.get(k, 0) + 1
    for k, v in sorted(types.items()):
        print("  rtcp", k, v)
    if not any(d == "chromium" and k == "rtcp" for d, k, _ in captured):
        print("no RTCP from Chromium captured", file=sys.stderr)
        sys.exit(1)
    manifest = write_fixtures()
    print(f"wrote {len(manifest)} fixtures to {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
