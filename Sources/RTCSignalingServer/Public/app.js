// SwiftRTC demo page: joins a room on the signaling server (JSON over WebSocket, see
// docs/signaling-protocol.md), builds an RTCPeerConnection mesh (the joiner offers), trickles
// ICE, chats and sends files over data channels, and starts a video call on demand.
// Plain browser JavaScript, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const autotest = params.get("autotest") === "1";
// `?relay=1`: relayed candidates only (W3C iceTransportPolicy "relay"), through the TURN server
// whose credentials /turn-credentials hands out.
const relayOnly = params.get("relay") === "1";
const CHUNK = 16 * 1024;
const HIGH_WATER = 1024 * 1024;

const state = {
  ws: null,
  me: null,
  room: null,
  peers: new Map(),        // peer id -> Peer
  localStream: null,
  iceServers: [],
  report: { chatReceived: [], chatSent: [], filesReceived: [], filesSent: [], framesDecoded: {}, videoFrames: {}, audioSamples: {}, selectedCandidateTypes: {}, selectedRelayProtocols: {}, localCandidateAddresses: [], errors: [], members: [] },
};

// ---------- UI helpers ----------
function setStatus(text) { $("status").textContent = text; }
function logChat(text, cls) {
  const li = document.createElement("li");
  li.textContent = text;
  if (cls) li.className = cls;
  $("chat-log").append(li);
  li.scrollIntoView({ block: "end" });
}
function renderMembers() {
  const ul = $("members");
  ul.replaceChildren();
  const me = document.createElement("li");
  me.className = "me";
  me.textContent = state.me + " (you)";
  ul.append(me);
  for (const [id, peer] of state.peers) {
    const li = document.createElement("li");
    li.textContent = id;
    const s = document.createElement("span");
    s.className = "state";
    s.textContent = peer.pc.connectionState;
    li.append(s);
    ul.append(li);
  }
  state.report.members = [...state.peers.keys()];
  const anyOpen = [...state.peers.values()].some((p) => p.chat && p.chat.readyState === "open");
  for (const id of ["chat-input", "chat-send", "file-input", "file-send"]) $(id).disabled = !anyOpen;
  $("video-button").disabled = !state.me || !!state.localStream;
}
function recordError(where, error) {
  const text = where + ": " + (error && error.message ? error.message : String(error));
  console.error(text);
  state.report.errors.push(text);
  logChat(text, "system");
}

// ---------- Signaling ----------
function send(message) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
}

async function join(peerID, roomID) {
  state.me = peerID;
  state.room = roomID;
  try {
    const response = await fetch("/turn-credentials?user=" + encodeURIComponent(peerID));
    if (response.ok) {
      const c = await response.json();
      state.iceServers = [{ urls: c.uris, username: c.username, credential: c.password }];
    }
  } catch (e) { /* TURN is optional */ }
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  state.ws = ws;
  let queue = Promise.resolve();
  ws.onopen = () => { setStatus("connected"); send({ type: "join", peer_id: peerID, room_id: roomID }); };
  ws.onclose = () => { setStatus("disconnected"); };
  ws.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch (e) { return recordError("bad server message", e); }
    // Handle messages one at a time, in order (descriptions before their candidates).
    queue = queue.then(() => onSignal(message)).catch((e) => recordError("signal " + message.type, e));
  };
}

async function onSignal(m) {
  switch (m.type) {
    case "room_peers":
      setStatus("in room " + m.room_id);
      logChat("joined room " + m.room_id + (m.peers.length ? " with " + m.peers.join(", ") : " (empty)"), "system");
      // The joiner offers to everyone already there.
      for (const id of m.peers) createPeer(id, true);
      break;
    case "peer_joined":
      logChat(m.peer_id + " joined", "system");
      createPeer(m.peer_id, false);
      break;
    case "peer_left":
      logChat(m.peer_id + " left", "system");
      removePeer(m.peer_id);
      break;
    case "offer":
    case "answer": {
      const peer = state.peers.get(m.from) || createPeer(m.from, false);
      await peer.onDescription(m.type === "offer" ? m.offer : m.answer);
      break;
    }
    case "ice_candidate": {
      const peer = state.peers.get(m.from);
      if (peer) await peer.onCandidate(m.candidate);
      break;
    }
    case "error":
      recordError("server error " + m.code, m.message);
      break;
    case "shutdown":
      setStatus("server shut down");
      logChat("server: " + m.message, "system");
      break;
  }
  renderMembers();
}

// ---------- Peer connections (perfect negotiation, RFC 8829 glare handling) ----------
class Peer {
  constructor(id, initiator) {
    this.id = id;
    this.polite = state.me > id;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.incomingFile = null;
    this.fileOpen = new Promise((resolve) => { this.resolveFileOpen = resolve; });
    this.pc = new RTCPeerConnection({ iceServers: state.iceServers, iceTransportPolicy: relayOnly ? "relay" : "all" });
    this.pc.onicecandidate = (e) => {
      if (!e.candidate) return;
      if (e.candidate.address) state.report.localCandidateAddresses.push(e.candidate.address);
      send({ type: "ice_candidate", target: id, candidate: e.candidate.toJSON() });
    };
    this.pc.onnegotiationneeded = async () => {
      try {
        this.makingOffer = true;
        await this.pc.setLocalDescription();
        send({ type: "offer", target: id, offer: this.pc.localDescription.toJSON() });
      } catch (e) { recordError("negotiation with " + id, e); } finally { this.makingOffer = false; }
    };
    this.pc.onconnectionstatechange = () => renderMembers();
    this.pc.ontrack = (e) => {
      if (e.track.kind === "audio") this.playAudio(e.track);
      else this.showVideo(e.streams[0] || new MediaStream([e.track]));
    };
    this.pc.ondatachannel = (e) => this.attach(e.channel);
    if (state.localStream) for (const t of state.localStream.getTracks()) this.pc.addTrack(t, state.localStream);
    if (initiator) {
      // Ask to receive audio and video even without a camera (e.g. from `swiftrtc play`); a
      // camera started later reuses these transceivers.
      if (!state.localStream) for (const kind of ["audio", "video"]) this.pc.addTransceiver(kind, { direction: "recvonly" });
      this.attach(this.pc.createDataChannel("chat"));
      this.attach(this.pc.createDataChannel("file"));
    }
  }

  async onDescription(description) {
    const collision = description.type === "offer" && (this.makingOffer || this.pc.signalingState !== "stable");
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) return;
    await this.pc.setRemoteDescription(description);
    if (description.type === "offer") {
      await this.pc.setLocalDescription();
      send({ type: "answer", target: this.id, answer: this.pc.localDescription.toJSON() });
    }
  }

  async onCandidate(candidate) {
    try { await this.pc.addIceCandidate(candidate); } catch (e) { if (!this.ignoreOffer) throw e; }
  }

  attach(channel) {
    if (channel.label === "chat") {
      this.chat = channel;
      channel.onopen = () => { logChat("chat with " + this.id + " open", "system"); renderMembers(); onChatOpen(this); };
      channel.onmessage = (e) => {
        logChat(this.id + ": " + e.data);
        state.report.chatReceived.push({ from: this.id, text: e.data });
      };
    } else if (channel.label === "file") {
      this.file = channel;
      channel.binaryType = "arraybuffer";
      channel.bufferedAmountLowThreshold = HIGH_WATER / 4;
      channel.onmessage = (e) => this.onFileData(e.data);
      if (channel.readyState === "open") this.resolveFileOpen();
      else channel.addEventListener("open", () => this.resolveFileOpen(), { once: true });
    }
  }

  async onFileData(data) {
    if (typeof data === "string") {
      const header = JSON.parse(data);
      if (header.status) {  // a receipt for a file we sent
        logChat(this.id + " " + (header.status === "ok" ? "confirmed" : "rejected") + " the file (" + header.size + " bytes)", "system");
        return;
      }
      this.incomingFile = { name: header.name, size: header.size, type: header.type, chunks: [], received: 0 };
      return;
    }
    const f = this.incomingFile;
    if (!f) return;
    f.chunks.push(data);
    f.received += data.byteLength;
    if (f.received >= f.size) {
      this.incomingFile = null;
      const blob = new Blob(f.chunks, { type: f.type || "application/octet-stream" });
      const digest = await sha256(await blob.arrayBuffer());
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = f.name;
      a.textContent = f.name + " (" + f.received + " bytes) from " + this.id;
      li.append(a);
      $("files").append(li);
      state.report.filesReceived.push({ from: this.id, name: f.name, size: f.received, sha256: digest });
      // The receipt of docs/file-transfer.md: the sender learns the file arrived intact.
      if (this.file && this.file.readyState === "open") this.file.send(JSON.stringify({ sha256: digest, size: f.received, status: "ok" }));
      logChat("received file " + f.name + " from " + this.id, "system");
    }
  }

  async sendFile(name, type, buffer, onProgress) {
    // The file channel may open a moment after the chat channel.
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("file channel to " + this.id + " did not open")), 10000));
    await Promise.race([this.fileOpen, timeout]);
    const channel = this.file;
    channel.send(JSON.stringify({ name, size: buffer.byteLength, type }));
    for (let offset = 0; offset < buffer.byteLength; offset += CHUNK) {
      if (channel.bufferedAmount > HIGH_WATER) {
        await new Promise((resolve) => channel.addEventListener("bufferedamountlow", resolve, { once: true }));
      }
      channel.send(buffer.slice(offset, Math.min(offset + CHUNK, buffer.byteLength)));
      onProgress(Math.min(offset + CHUNK, buffer.byteLength) / buffer.byteLength);
    }
  }

  showVideo(stream) {
    let figure = document.getElementById("video-" + this.id);
    if (!figure) {
      figure = document.createElement("figure");
      figure.id = "video-" + this.id;
      const video = document.createElement("video");
      video.autoplay = true;
      video.muted = true;
      video.playsInline = true;
      const caption = document.createElement("figcaption");
      caption.textContent = this.id;
      figure.append(video, caption);
      $("videos").append(figure);
      state.report.videoFrames[this.id] = 0;
      const count = () => { state.report.videoFrames[this.id] += 1; video.requestVideoFrameCallback(count); };
      if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(count);
    }
    const video = figure.querySelector("video");
    if (video.srcObject !== stream) { video.srcObject = stream; video.play().catch(() => {}); }
  }

  playAudio(track) {
    if (!this.audio) {
      this.audio = document.createElement("audio");
      this.audio.autoplay = true;
      document.body.append(this.audio);
    }
    this.audio.srcObject = new MediaStream([track]);
    this.audio.play().catch(() => {});
  }

  close() {
    this.pc.close();
    if (this.audio) this.audio.remove();
    const figure = document.getElementById("video-" + this.id);
    if (figure) figure.remove();
  }
}

function createPeer(id, initiator) {
  if (state.peers.has(id)) return state.peers.get(id);
  const peer = new Peer(id, initiator);
  state.peers.set(id, peer);
  renderMembers();
  return peer;
}

function removePeer(id) {
  const peer = state.peers.get(id);
  if (peer) { peer.close(); state.peers.delete(id); }
}

async function sha256(buffer) {
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// ---------- Actions ----------
function sendChat(text) {
  for (const peer of state.peers.values()) {
    if (peer.chat && peer.chat.readyState === "open") peer.chat.send(text);
  }
  state.report.chatSent.push(text);
  logChat(state.me + ": " + text);
}

async function sendFileToAll(name, type, buffer) {
  const progress = $("file-progress");
  progress.hidden = false;
  const digest = await sha256(buffer);
  for (const peer of state.peers.values()) {
    await peer.sendFile(name, type, buffer, (fraction) => { progress.value = fraction; });
    state.report.filesSent.push({ to: peer.id, name, size: buffer.byteLength, sha256: digest });
  }
  logChat("sent " + name + " (" + buffer.byteLength + " bytes)", "system");
}

async function startVideo() {
  if (state.localStream) return;
  state.localStream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  const figure = document.createElement("figure");
  const video = document.createElement("video");
  video.autoplay = true; video.muted = true; video.playsInline = true;
  video.srcObject = state.localStream;
  const caption = document.createElement("figcaption");
  caption.textContent = state.me + " (you)";
  figure.append(video, caption);
  $("videos").prepend(figure);
  for (const peer of state.peers.values()) {
    for (const t of state.localStream.getTracks()) peer.pc.addTrack(t, state.localStream);
  }
  renderMembers();
}

$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  if (state.ws) return;
  $("join-button").disabled = true;
  $("peer-id").disabled = true;
  $("room-id").disabled = true;
  join($("peer-id").value.trim(), $("room-id").value.trim()).catch((err) => recordError("join", err));
});
$("chat-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("chat-input").value.trim();
  if (text) { sendChat(text); $("chat-input").value = ""; }
});
$("file-send").addEventListener("click", async () => {
  const file = $("file-input").files[0];
  if (!file) return;
  try { await sendFileToAll(file.name, file.type, await file.arrayBuffer()); } catch (e) { recordError("send file", e); }
});
$("video-button").addEventListener("click", () => startVideo().catch((e) => recordError("video", e)));

// ---------- Automated test mode (?autotest=1&peer=ID&room=ROOM&file=1) ----------
// Used by the headless Chromium test: chats, sends a 1 MiB file, starts video, and posts
// what it saw to /test-report every half second.
function onChatOpen(peer) {
  if (!autotest) return;
  sendChat("hello from " + state.me);
  if (params.get("file") === "1") {
    const buffer = new Uint8Array(1024 * 1024);
    for (let i = 0; i < buffer.length; i++) buffer[i] = (i * 31 + 7) & 0xff;
    sendFileToAll("test.bin", "application/octet-stream", buffer.buffer).catch((e) => recordError("autotest file", e));
  }
  if (params.get("video") !== "0") startVideo().catch((e) => recordError("autotest video", e));
}

async function collectStats() {
  for (const peer of state.peers.values()) {
    const stats = await peer.pc.getStats();
    stats.forEach((s) => {
      if (s.type === "transport" && s.selectedCandidatePairId) {
        const pair = stats.get(s.selectedCandidatePairId);
        const local = pair && stats.get(pair.localCandidateId), remote = pair && stats.get(pair.remoteCandidateId);
        if (local && remote) state.report.selectedCandidateTypes[peer.id] = local.candidateType + "/" + remote.candidateType;
        if (local && local.relayProtocol) state.report.selectedRelayProtocols[peer.id] = local.relayProtocol;
      }
      if (s.type === "inbound-rtp" && s.kind === "video") state.report.framesDecoded[peer.id] = s.framesDecoded || 0;
      if (s.type === "inbound-rtp" && s.kind === "audio") state.report.audioSamples[peer.id] = s.totalSamplesReceived || 0;
    });
  }
}

if (params.get("peer")) $("peer-id").value = params.get("peer");
if (params.get("room")) $("room-id").value = params.get("room");
if (autotest) {
  $("join-form").requestSubmit();
  setInterval(async () => {
    try { await collectStats(); } catch (e) { /* a closing connection */ }
    const body = JSON.stringify(Object.assign({ peer: state.me }, state.report));
    fetch("/test-report", { method: "POST", headers: { "content-type": "application/json" }, body }).catch(() => {});
  }, 500);
}
