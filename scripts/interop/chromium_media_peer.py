"""A headless-Chromium media peer driven over stdin/stdout with JSON lines, for SwiftRTC's media
interop tests (the relay and launch are chromium_harness.py's; trickle always).

Usage: chromium_media_peer.py offer|answer PARAMS_JSON
  PARAMS_JSON: {"send": ["video", "audio"], "recv": true, "codec": "VP8"}
  - send: the fake camera (640x480 unless camera says) / microphone tracks Chromium sends (addTrack);
  - recv: with role offer, a recvonly transceiver per kind not sent, so the offer asks for
    audio and video either way; with role answer Chromium receives what it is offered;
  - codec: the video codec Chromium prefers (setCodecPreferences) in what it offers or answers;
  - simulcast: rids, e.g. ["h", "l"]: with role offer, the camera is sent as simulcast layers
    (sendEncodings), the first at full resolution and each next one halved;
  - camera: [width, height, fps] of the fake camera (default [640, 480, 30]); Chromium sends
    three simulcast layers only from 960x540 up;
  - fullStats: also print, every 500 ms, {"event": "getstats", "stats": [...]}: every entry of
    getStats() as JSON (what SwiftRTC's statistics() is compared with).
  The offer also carries a data channel "chat" (audio+video+data in one description).
Prints the local description, trickled candidates, {"event": "track", "kind": ...} for each
remote track, and every 500 ms {"event": "stats", "inbound": [...], "outbound": [...]} from
getStats (inbound-rtp: kind, framesDecoded, frameWidth, frameHeight, totalSamplesReceived,
packetsReceived, bytesReceived, codec; outbound-rtp: kind, rid, framesEncoded, packetsSent, bytesSent,
frameWidth, qualityLimitationReason, codec) and the nominated pair's availableOutgoingBitrate.
Each remote description on stdin is applied in turn; a remote offer is answered (renegotiation).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chromium_harness import Relay  # noqa: E402

PAGE = r"""<!doctype html><meta charset="utf-8"><script>
const post = (path, body) => fetch(path, {method: 'POST', body: JSON.stringify(body)});
let chain = Promise.resolve();
const send = (path, body) => (chain = chain.catch(() => {}).then(() => post(path, body)));
async function poll(path) { for (;;) { const t = await (await fetch(path)).text(); if (t) return t; await new Promise(r => setTimeout(r, 20)); } }
function prefer(transceiver, codec) {
  if (!codec || transceiver.receiver.track.kind !== 'video') return;
  const all = RTCRtpReceiver.getCapabilities('video').codecs;
  const first = all.filter(c => c.mimeType.toLowerCase() === 'video/' + codec.toLowerCase());
  const rest = all.filter(c => c.mimeType.toLowerCase() !== 'video/' + codec.toLowerCase());
  if (first.length) transceiver.setCodecPreferences([...first, ...rest]);
}
async function report(pc) {
  const stats = await pc.getStats();
  const codecs = {}; stats.forEach(s => { if (s.type === 'codec') codecs[s.id] = s.mimeType; });
  const inbound = [], outbound = [];
  let availableOutgoingBitrate;
  stats.forEach(s => {
    if (s.type === 'inbound-rtp') inbound.push({kind: s.kind, mid: s.mid, framesDecoded: s.framesDecoded ?? 0, frameWidth: s.frameWidth ?? 0,
      frameHeight: s.frameHeight ?? 0, totalSamplesReceived: s.totalSamplesReceived ?? 0, packetsReceived: s.packetsReceived,
      packetsLost: s.packetsLost, bytesReceived: s.bytesReceived, nackCount: s.nackCount, pliCount: s.pliCount, codec: codecs[s.codecId]});
    if (s.type === 'outbound-rtp') outbound.push({kind: s.kind, mid: s.mid, rid: s.rid, framesEncoded: s.framesEncoded ?? 0, packetsSent: s.packetsSent,
      bytesSent: s.bytesSent, frameWidth: s.frameWidth ?? 0, qualityLimitationReason: s.qualityLimitationReason, codec: codecs[s.codecId]});
    if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate !== undefined) availableOutgoingBitrate = s.availableOutgoingBitrate;
  });
  post('/event', {event: 'stats', inbound, outbound, availableOutgoingBitrate});
  if (window.fullStats) { const all = []; stats.forEach(s => all.push(s)); post('/event', {event: 'getstats', stats: all}); }
}
(async () => {
  const role = await (await fetch('/role')).text();
  const params = JSON.parse(await (await fetch('/params')).text());
  window.fullStats = !!params.fullStats;
  const [camWidth, camHeight, camRate] = params.camera ?? [640, 480, 30];
  const media = await navigator.mediaDevices.getUserMedia({audio: true, video: {width: {exact: camWidth}, height: {exact: camHeight}, frameRate: camRate}});
  const pc = new RTCPeerConnection({iceServers: []});
  window.pc = pc;
  let mid = '0';
  pc.onicecandidate = (e) => {
    if (e.candidate && e.candidate.candidate) {
      mid = e.candidate.sdpMid ?? mid;
      send('/candidate', {candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex,
                          usernameFragment: e.candidate.usernameFragment});
    } else if (!e.candidate) {
      send('/candidate', {candidate: '', sdpMid: mid, sdpMLineIndex: 0});
    }
  };
  pc.ontrack = (e) => {
    post('/event', {event: 'track', kind: e.track.kind, mid: e.transceiver.mid});
    // Chromium decodes remote audio only while something plays it out.
    if (e.track.kind === 'audio') { const a = new Audio(); a.srcObject = new MediaStream([e.track]); a.play().catch(() => {}); }
  };
  pc.ondatachannel = (e) => { e.channel.onmessage = (m) => e.channel.send(m.data); };
  pc.onconnectionstatechange = () => post('/event', {event: 'connection', state: pc.connectionState});
  for (const kind of ['audio', 'video']) {
    const track = media.getTracks().find(t => t.kind === kind);
    if ((params.send || []).includes(kind)) {
      // params.simulcast: rid layers, full resolution first, then each halved (RFC 8853).
      const sendEncodings = kind === 'video' && params.simulcast ? params.simulcast.map((rid, i) => ({rid, scaleResolutionDownBy: 2 ** i})) : undefined;
      // Under CPU load keep each layer's size (Chromium drops frames instead of shrinking them).
      if (sendEncodings) track.contentHint = 'detail';
      if (role === 'offer') prefer(pc.addTransceiver(track, {direction: params.recv ? 'sendrecv' : 'sendonly', streams: [media], sendEncodings}), params.codec);
      else pc.addTrack(track, media);
    } else if (role === 'offer' && params.recv) {
      prefer(pc.addTransceiver(kind, {direction: 'recvonly'}), params.codec);
    }
  }
  const applyCandidates = async () => {
    for (let next = 0;;) {
      const list = JSON.parse(await (await fetch('/candidates?from=' + next)).text());
      for (const c of list) { next += 1; try { await pc.addIceCandidate(c); } catch (e) { post('/event', {event: 'error', message: 'addIceCandidate: ' + e}); } }
      if (!list.length) await new Promise(r => setTimeout(r, 20));
    }
  };
  setInterval(() => report(pc).catch(e => post('/event', {event: 'error', message: 'getStats: ' + e})), 500);
  if (role === 'offer') {
    const chat = pc.createDataChannel('chat');
    chat.onmessage = (m) => chat.send(m.data);
    await pc.setLocalDescription(await pc.createOffer());
    send('/description', {type: 'offer', sdp: pc.localDescription.sdp});
  }
  for (let first = true;; first = false) {
    const remote = JSON.parse(await poll('/remote'));
    await pc.setRemoteDescription(remote);
    if (first) applyCandidates();
    if (remote.type === 'offer') {
      for (const t of pc.getTransceivers()) if (params.codec) prefer(t, params.codec);
      await pc.setLocalDescription(await pc.createAnswer());
      send('/description', {type: 'answer', sdp: pc.localDescription.sdp});
    }
  }
})().catch(e => post('/event', {event: 'error', message: String(e)}));
</script>"""

role = sys.argv[1]
params = sys.argv[2] if len(sys.argv) > 2 else "{}"
Relay(PAGE, {"role": role, "params": params, "consume": "1"}).run(fake_media=True)
