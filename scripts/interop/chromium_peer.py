"""A headless-Chromium WebRTC peer driven over stdin/stdout with JSON lines, for SwiftRTC's
interop tests. Same protocol as aiortc_peer.py:

Usage: chromium_peer.py offer|answer [trickle]
  offer:  the page creates data channel "chat"; prints {"type":"offer","sdp":...}; reads the answer.
  answer: reads {"type":"offer",...}; prints {"type":"answer","sdp":...}.
  trickle: the description is printed right after setLocalDescription (its SDP has no
    candidates); each local candidate follows as
    {"candidate": "...", "sdpMid": ..., "sdpMLineIndex": ..., "usernameFragment": ...}
    and the end of gathering as such a line with an empty candidate. Input lines with a
    "candidate" key are given to pc.addIceCandidate (empty candidate = end-of-candidates).
    The page first takes (fake) microphone permission: only then does Chromium enumerate
    interfaces and announce its loopback host candidates (UDP and TCP).
Measured in a loopback-only namespace: without that permission Chromium announces no candidate
at all (complete SDPs have none; it connects by checking OUR candidates); with Chromium's
default of hiding host addresses behind mDNS names (disabled here) it then binds no socket
there and connects to nothing. With the permission it never uses mDNS names.
Every channel echoes text and binary messages; text "digest" replies with the SHA-256 of the
binary bytes received on a channel labelled "bulk"; text "close" closes the channel.
Prints {"event": "open"|"close", "label": ...}. The page reports over HTTP to this script on
127.0.0.1; without `trickle` descriptions are complete (the page waits for gathering).
Loopback only.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chromium_harness import Relay  # noqa: E402

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
// Trickle: descriptions and candidates leave in the order they were produced.
let chain = Promise.resolve();
const send = (path, body) => (chain = chain.catch(() => {}).then(() => post(path, body)));
async function applyRemoteCandidates(pc) {
  for (let next = 0;;) {
    const list = JSON.parse(await (await fetch('/candidates?from=' + next)).text());
    for (const c of list) {
      next += 1;
      try { await pc.addIceCandidate(c); } catch (e) { post('/event', {event: 'error', message: 'addIceCandidate: ' + e}); }
    }
    if (!list.length) await new Promise(r => setTimeout(r, 20));
  }
}
(async () => {
  const role = await (await fetch('/role')).text();
  const trickle = (await (await fetch('/mode')).text()) === 'trickle';
  if (trickle) {
    const media = await navigator.mediaDevices.getUserMedia({audio: true});
    media.getTracks().forEach(t => t.stop());
  }
  const pc = new RTCPeerConnection({iceServers: []});
  window.pc = pc;
  pc.ondatachannel = (e) => attach(e.channel);
  let mid = '0';
  if (trickle) {
    pc.onicecandidate = (e) => {
      if (e.candidate && e.candidate.candidate) {
        mid = e.candidate.sdpMid ?? mid;
        send('/candidate', {candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex,
                            usernameFragment: e.candidate.usernameFragment});
      } else if (!e.candidate) {
        send('/candidate', {candidate: '', sdpMid: mid, sdpMLineIndex: 0});
      }
    };
  }
  const describe = async (type) => {
    if (trickle) { send('/description', {type, sdp: pc.localDescription.sdp}); return; }
    await gathered(pc);
    await post('/description', {type, sdp: pc.localDescription.sdp});
  };
  if (role === 'offer') {
    attach(pc.createDataChannel('chat'));
    await pc.setLocalDescription(await pc.createOffer());
    await describe('offer');
    await pc.setRemoteDescription(JSON.parse(await poll('/remote')));
  } else {
    await pc.setRemoteDescription(JSON.parse(await poll('/remote')));
    await pc.setLocalDescription(await pc.createAnswer());
    await describe('answer');
  }
  if (trickle) await applyRemoteCandidates(pc);
})().catch(e => post('/event', {event: 'error', message: String(e)}));
</script>"""

role = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else "complete"
Relay(PAGE, {"role": role, "mode": mode}).run(fake_media=mode == "trickle")
