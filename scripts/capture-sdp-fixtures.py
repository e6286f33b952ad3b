#!/usr/bin/env python3
"""Captures REAL SDP from aiortc and headless Chromium into Tests/RTCSDPTests/Fixtures/.

Run it inside a private, loopback-only network namespace, with the test-peer venv:

    unshare --net bash -c 'ip link set lo up; .venv/bin/python scripts/capture-sdp-fixtures.py'

(or through the project wrapper, which already provides such a namespace).

What it writes:
  aiortc-offer-data.sdp          aiortc offer with one data channel only
  aiortc-offer-av-data.sdp       aiortc offer: audio + video (aiortc's codecs) + data channel
  chromium-answer.sdp            Chromium's answer to aiortc-offer-av-data.sdp
  chromium-offer-av-data.sdp     Chromium offer: fake camera + fake microphone + data channel,
                                 after ICE gathering completed (carries its candidates)
  chromium-offer-initial.sdp     the same offer as returned by createOffer (no candidates)
  aiortc-answer.sdp              aiortc's answer to chromium-offer-av-data.sdp
  chromium-offer-simulcast.sdp   Chromium offer: one sendonly video with three simulcast rids
  chromium-trickled-candidates.txt  every candidate string Chromium trickled (one per line,
                                 as `candidate:...`, UDP and TCP), in the order they came
"""
import asyncio
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "Tests", "RTCSDPTests", "Fixtures")

# aiortc gathers nothing on a loopback-only host unless it may use 127.0.0.1.
aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: ["127.0.0.1"]

PAGE = r"""<!doctype html><html><body><script>
async function post(name, body) {
  await fetch('/result/' + name, {method: 'POST', body: body});
}
function gathered(pc) {
  return new Promise(resolve => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
  });
}
async function run() {
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  // 1. Chromium offers audio + video + data and trickles its candidates.
  const offerer = new RTCPeerConnection({iceServers: []});
  const trickled = [];
  offerer.onicecandidate = e => { if (e.candidate && e.candidate.candidate) trickled.push(e.candidate.candidate); };
  for (const track of stream.getTracks()) offerer.addTrack(track, stream);
  offerer.createDataChannel('chat');
  const offer = await offerer.createOffer();
  await post('chromium-offer-initial.sdp', offer.sdp);
  const done = gathered(offerer);
  await offerer.setLocalDescription(offer);
  await done;
  await post('chromium-offer-av-data.sdp', offerer.localDescription.sdp);
  await post('chromium-trickled-candidates.txt', trickled.join('\n') + '\n');
  // 2. Chromium answers aiortc's audio + video + data offer.
  const remote = await (await fetch('/aiortc-offer')).text();
  const answerer = new RTCPeerConnection({iceServers: []});
  await answerer.setRemoteDescription({type: 'offer', sdp: remote});
  for (const track of stream.getTracks()) answerer.addTrack(track, stream);
  const answer = await answerer.createAnswer();
  const done2 = gathered(answerer);
  await answerer.setLocalDescription(answer);
  await done2;
  await post('chromium-answer.sdp', answerer.localDescription.sdp);
  // 3. Chromium offers simulcast video (three rids) — carries a=rid and a=simulcast.
  const simulcaster = new RTCPeerConnection({iceServers: []});
  simulcaster.addTransceiver(stream.getVideoTracks()[0], {direction: 'sendonly', streams: [stream],
    sendEncodings: [{rid: 'h'}, {rid: 'm', scaleResolutionDownBy: 2}, {rid: 'l', scaleResolutionDownBy: 4}]});
  await post('chromium-offer-simulcast.sdp', (await simulcaster.createOffer()).sdp);
  await post('done', 'ok');
}
run().catch(e => post('error', String(e && e.stack || e)));
</script></body></html>"""

results = {}
results_ready = threading.Condition()
aiortc_offer_for_chromium = {"sdp": ""}


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, body, ctype="text/plain"):
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/":
            self._send(PAGE, "text/html")
        elif self.path == "/aiortc-offer":
            self._send(aiortc_offer_for_chromium["sdp"])
        else:
            self.send_error(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        name = self.path[len("/result/"):]
        with results_ready:
            results[name] = body
            results_ready.notify_all()
        self._send("ok")


def write(name, text):
    with open(os.path.join(OUT, name), "w", newline="") as f:
        f.write(text)
    print("wrote", name, f"({len(text)} bytes)")


def config():
    return RTCConfiguration(iceServers=[])


async def aiortc_offer(with_media):
    pc = RTCPeerConnection(config())
    if with_media:
        pc.addTrack(AudioStreamTrack())
        pc.addTrack(VideoStreamTrack())
    pc.createDataChannel("chat")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


async def aiortc_answer(offer_sdp):
    pc = RTCPeerConnection(config())

    @pc.on("track")
    def on_track(track):
        pc.addTrack(AudioStreamTrack() if track.kind == "audio" else VideoStreamTrack())

    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    return pc, pc.localDescription.sdp


def wait_for(name, timeout):
    with results_ready:
        ok = results_ready.wait_for(lambda: name in results or "error" in results, timeout)
    if "error" in results:
        raise SystemExit("page error: " + results["error"])
    if not ok:
        raise SystemExit(f"timed out waiting for {name}; have {sorted(results)}")
    return results[name]


async def main():
    os.makedirs(OUT, exist_ok=True)
    pcs = []
    pc, sdp = await aiortc_offer(with_media=False)
    pcs.append(pc)
    write("aiortc-offer-data.sdp", sdp)
    pc, sdp = await aiortc_offer(with_media=True)
    pcs.append(pc)
    write("aiortc-offer-av-data.sdp", sdp)
    aiortc_offer_for_chromium["sdp"] = sdp

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("chromium is not installed (apt-get install -y chromium)")
    profile = tempfile.mkdtemp(prefix="sdp-capture-")
    proc = subprocess.Popen([
        chromium, "--headless=new", "--no-sandbox", f"--user-data-dir={profile}",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"http://127.0.0.1:{port}/",
    ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        loop = asyncio.get_running_loop()
        for name in ["chromium-offer-initial.sdp", "chromium-offer-av-data.sdp",
                     "chromium-trickled-candidates.txt"]:
            write(name, await loop.run_in_executor(None, wait_for, name, 60))
        offer = results["chromium-offer-av-data.sdp"]
        pc, sdp = await aiortc_answer(offer)
        pcs.append(pc)
        write("aiortc-answer.sdp", sdp)
        write("chromium-answer.sdp", await loop.run_in_executor(None, wait_for, "chromium-answer.sdp", 60))
        write("chromium-offer-simulcast.sdp", await loop.run_in_executor(None, wait_for, "chromium-offer-simulcast.sdp", 30))
        await loop.run_in_executor(None, wait_for, "done", 30)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)
        server.shutdown()
        for pc in pcs:
            await pc.close()


if __name__ == "__main__":
    asyncio.run(main())
