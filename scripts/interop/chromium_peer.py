"""A headless-Chromium WebRTC peer driven over stdin/stdout with JSON lines, for SwiftRTC's
interop tests. Same protocol as aiortc_peer.py:

Usage: chromium_peer.py offer|answer
  offer:  the page creates data channel "chat"; prints {"type":"offer","sdp":...}; reads the answer.
  answer: reads {"type":"offer",...}; prints {"type":"answer","sdp":...}.
Every channel echoes text and binary messages; text "digest" replies with the SHA-256 of the
binary bytes received on a channel labelled "bulk"; text "close" closes the channel.
Prints {"event": "open"|"close", "label": ...}. The page reports over HTTP to this script on
127.0.0.1; descriptions are complete (the page waits for gathering). Loopback only.
"""
import http.server
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading

PAGE = r"""<!doctype html><meta charset="utf-8"><script>
const post = (path, body) => fetch(path, {method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body)});
async function poll(path) { for (;;) { const r = await fetch(path); const t = await r.text(); if (t) return t; await new Promise(r => setTimeout(r, 50)); } }
async function hex(buffer) { return [...new Uint8Array(await crypto.subtle.digest('SHA-256', buffer))].map(b => b.toString(16).padStart(2, '0')).join(''); }
function attach(ch) {
  ch.binaryType = 'arraybuffer';
  let parts = [], total = 0;
  ch.onopen = () => post('/event', {event: 'open', label: ch.label});
  ch.onclose = () => post('/event', {event: 'close', label: ch.label});
  ch.onmessage = async (e) => {
    if (typeof e.data === 'string') {
      if (e.data === 'digest') {
        const all = new Uint8Array(total); let o = 0; for (const p of parts) { all.set(new Uint8Array(p), o); o += p.byteLength; }
        ch.send('digest:' + await hex(all) + ':' + total); parts = []; total = 0;
      } else if (e.data === 'close') { ch.close(); } else { ch.send(e.data); }
    } else if (ch.label === 'bulk') { parts.push(e.data); total += e.data.byteLength; }
    else { ch.send(e.data); }
  };
  if (ch.readyState === 'open') post('/event', {event: 'open', label: ch.label});
}
async function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise(r => pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') r(); }));
}
(async () => {
  const role = await (await fetch('/role')).text();
  const pc = new RTCPeerConnection({iceServers: []});
  window.pc = pc;
  pc.ondatachannel = (e) => attach(e.channel);
  if (role === 'offer') {
    attach(pc.createDataChannel('chat'));
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    await post('/description', {type: 'offer', sdp: pc.localDescription.sdp});
    await pc.setRemoteDescription(JSON.parse(await poll('/remote')));
  } else {
    await pc.setRemoteDescription(JSON.parse(await poll('/remote')));
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    await post('/description', {type: 'answer', sdp: pc.localDescription.sdp});
  }
})().catch(e => post('/event', {event: 'error', message: String(e)}));
</script>"""

role = sys.argv[1]
remote = {"text": ""}
lock = threading.Lock()


def emit(obj):
    with lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


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
        elif self.path == "/role":
            self._send(role)
        elif self.path == "/remote":
            self._send(remote["text"])
        else:
            self.send_error(404)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        emit(json.loads(body))
        self._send("ok")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium:
    raise SystemExit("chromium is not installed (scripts/install-peers.sh installs it)")
profile = tempfile.mkdtemp(prefix="swiftrtc-chromium-")
browser = subprocess.Popen([
    chromium, "--headless=new", "--no-sandbox", f"--user-data-dir={profile}", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns", f"http://127.0.0.1:{server.server_address[1]}/",
], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for line in sys.stdin:
        line = line.strip()
        if line:
            remote["text"] = line
finally:
    browser.terminate()
    try:
        browser.wait(5)
    except subprocess.TimeoutExpired:
        browser.kill()
    shutil.rmtree(profile, ignore_errors=True)
