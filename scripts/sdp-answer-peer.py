#!/usr/bin/env python3
"""Answers an SDP offer with a real peer, for RTCSDP's interop tests.

    sdp-answer-peer.py aiortc|chromium OFFER_FILE [CANDIDATE]

Reads the offer from OFFER_FILE, applies it with setRemoteDescription, optionally adds
CANDIDATE (a trickled `candidate:...` string, sdpMid "0") with addIceCandidate, creates and
applies an answer, waits for ICE gathering, and prints one line:

    RESULT {"answer": "<sdp>", "candidateAdded": true|false|null, "error": null|"..."}

Must run in a private loopback-only network namespace (the tests check this first).
"""
import asyncio
import http.server
import json
import shutil
import subprocess
import sys
import tempfile
import threading

import aioice.ice

aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: ["127.0.0.1"]


def report(answer=None, candidate_added=None, error=None):
    print("RESULT " + json.dumps({"answer": answer, "candidateAdded": candidate_added, "error": error}), flush=True)


async def answer_with_aiortc(offer, candidate):
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.sdp import candidate_from_sdp

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        added = None
        if candidate:
            c = candidate_from_sdp(candidate[len("candidate:"):])
            c.sdpMid = "0"
            await pc.addIceCandidate(c)
            added = True
        await pc.setLocalDescription(await pc.createAnswer())
        report(answer=pc.localDescription.sdp, candidate_added=added)
    except Exception as e:  # reported to the test, which fails with the message
        report(error=f"{type(e).__name__}: {e}")
    finally:
        await pc.close()


PAGE = r"""<!doctype html><html><body><script>
async function post(body) { await fetch('/result', {method: 'POST', body: JSON.stringify(body)}); }
async function run() {
  // Without media permission Chromium gathers no host candidates: ask for the fake devices.
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  const offer = await (await fetch('/offer')).text();
  const candidate = await (await fetch('/candidate')).text();
  const pc = new RTCPeerConnection({iceServers: []});
  await pc.setRemoteDescription({type: 'offer', sdp: offer});
  let added = null;
  if (candidate) {
    try { await pc.addIceCandidate({candidate: candidate, sdpMid: '0'}); added = true; }
    catch (e) { added = false; }
  }
  const gathered = new Promise(resolve => {
    pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
  });
  await pc.setLocalDescription(await pc.createAnswer());
  if (pc.iceGatheringState !== 'complete') await gathered;
  await post({answer: pc.localDescription.sdp, candidateAdded: added, error: null});
  stream.getTracks().forEach(t => t.stop());
}
run().catch(e => post({answer: null, candidateAdded: null, error: String(e && e.message || e)}));
</script></body></html>"""


def answer_with_chromium(offer, candidate):
    result = {}
    done = threading.Event()

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
            elif self.path == "/offer":
                self._send(offer)
            elif self.path == "/candidate":
                self._send(candidate or "")
            else:
                self.send_error(404)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            result.update(json.loads(body))
            self._send("ok")
            done.set()

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        report(error="chromium is not installed (apt-get install -y chromium)")
        return
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    profile = tempfile.mkdtemp(prefix="sdp-peer-")
    proc = subprocess.Popen([
        chromium, "--headless=new", "--no-sandbox", f"--user-data-dir={profile}", "--no-first-run",
        "--disable-background-networking", "--disable-component-update",
        "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"http://127.0.0.1:{server.server_address[1]}/",
    ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if done.wait(60):
            report(result.get("answer"), result.get("candidateAdded"), result.get("error"))
        else:
            report(error="chromium did not answer within 60 s")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)


def main():
    peer, offer_file = sys.argv[1], sys.argv[2]
    candidate = sys.argv[3] if len(sys.argv) > 3 else None
    with open(offer_file, newline="") as f:
        offer = f.read()
    if peer == "aiortc":
        asyncio.run(answer_with_aiortc(offer, candidate))
    elif peer == "chromium":
        answer_with_chromium(offer, candidate)
    else:
        report(error=f"unknown peer {peer}")


if __name__ == "__main__":
    main()
