// SwiftRTC demo page: joins a room on the signaling server (JSON over WebSocket, see
// docs/signaling-protocol.md), builds an RTCPeerConnection mesh (the joiner offers), trickles
// ICE, chats and sends files over data channels, and starts a video call on demand.
// SFU mode (`?sfu=1` or the "SFU" checkbox): one RTCPeerConnection, to the server's SFU, which
// sends every member's tracks on it (each in a MediaStream named by the member's id) and says
// who the active speaker is (`speaker_changed`, highlighted).
// Cluster mode: an SFU room lives on one server instance, its home; a join that reaches another
// instance is answered with `redirect` and the home's WebSocket URL, which the page follows
// (at most MAX_REDIRECTS times in a row).
// Plain browser JavaScript, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const autotest = params.get("autotest") === "1";
// `?relay=1`: relayed candidates only (W3C iceTransportPolicy "relay"), through the TURN server
// whose credentials /turn-credentials hands out.
const relayOnly = params.get("relay") === "1";
// `?small=1`: a 320×240, 15 fps camera (tests with several pages on a small machine).
const smallVideo = params.get("small") === "1";
// `?tone=1`: send a steady 440 Hz tone instead of the microphone (a clear active speaker in tests).
const tone = params.get("tone") === "1";
// `?simulcast=1` (SFU rooms): the camera goes to the server as three simulcast layers, f, h and
// q (full, half and quarter size); the server sends each member the layer that fits it.
const simulcast = params.get("simulcast") === "1";
// `?camera=1280x720`: the camera size to ask for (ideal: a camera that has no such mode gives its
// nearest). With `?simulcast=1` it is 1280×720 unless said: Chromium sends all three layers only
// from 960×540 up (two below).
const sizeParameter = (name) => (params.get(name) || "").match(/^(\d+)x(\d+)$/);
const cameraSize = sizeParameter("camera");
// `?maxres=320x240` (SFU rooms): ask the server for simulcast layers no larger than this.
const maxResolution = sizeParameter("maxres");
// The SFU's peer id: its messages carry no "from", ours to it no "target".
const SERVER = "";
const CHUNK = 16 * 1024;
const HIGH_WATER = 1024 * 1024;
const MAX_REDIRECTS = 3;

const state = {
  ws: null,
  redirects: 0,            // redirects followed since the last accepted join
  me: null,
  room: null,
  peers: new Map(),        // peer id -> Peer (SFU mode: SERVER -> the one connection)
  sfu: false,
  members: [],             // SFU mode: the other members' ids
  speaker: null,           // SFU mode: the active speaker's id
  midToMember: new Map(),  // SFU mode: receiving transceiver's mid -> member id
  trackToMember: new Map(), // SFU mode: remote track id -> member id
  localStream: null,
  iceServers: [],
  report: { chatReceived: [], chatSent: [], filesReceived: [], filesSent: [], framesDecoded: {}, frameWidths: {}, videoFrames: {}, audioSamples: {}, peakAudioLevels: {}, selectedCandidateTypes: {}, selectedRelayProtocols: {}, localCandidateAddresses: [], errors: [], members: [], liveTracks: {}, speakers: [], sfuReconnects: 0, redirects: [] },
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
  const server = state.peers.get(SERVER);
  const rows = state.sfu ? state.members.map((id) => [id, server]) : [...state.peers];
  for (const [id, peer] of rows) {
    const li = document.createElement("li");
    li.textContent = id;
    if (id === state.speaker) li.className = "speaking";
    const s = document.createElement("span");
    s.className = "state";
    s.textContent = peer ? peer.pc.connectionState : "";
    li.append(s);
    ul.append(li);
  }
  if (state.sfu) me.className = "me" + (state.speaker === state.me ? " speaking" : "");
  for (const figure of document.querySelectorAll("#videos figure")) {
    figure.classList.toggle("speaking", state.speaker !== null && figure.dataset.member === state.speaker);
  }
  state.report.members = state.sfu ? [...state.members] : [...state.peers.keys()];
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
// A description or candidate for `id`: in SFU mode the server, which takes no "target".
function sendTo(id, message) {
  if (id !== SERVER) message.target = id;
  send(message);
}

async function join(peerID, roomID, sfu) {
  state.me = peerID;
  state.room = roomID;
  state.sfu = sfu;
  try {
    const response = await fetch("/turn-credentials?user=" + encodeURIComponent(peerID));
    if (response.ok) {
      const c = await response.json();
      state.iceServers = [{ urls: c.uris, username: c.username, credential: c.password }];
    }
  } catch (e) { /* TURN is optional */ }
  connect((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
}

// Opens the signaling WebSocket at `url` and joins the room there.
function connect(url) {
  const ws = new WebSocket(url);
  state.ws = ws;
  let queue = Promise.resolve();
  ws.onopen = () => {
    setStatus("connected");
    send(Object.assign({ type: "join", peer_id: state.me, room_id: state.room }, state.sfu ? { mode: "sfu" } : {}));
  };
  ws.onclose = () => { if (state.ws === ws) setStatus("disconnected"); };
  ws.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch (e) { return recordError("bad server message", e); }
    // Handle messages one at a time, in order (descriptions before their candidates).
    queue = queue.then(() => onSignal(message)).catch((e) => recordError("signal " + message.type, e));
  };
}

// Our camera and microphone on a connection: to the SFU with `?simulcast=1`, video as three layers.
function addLocalTracks(pc, id) {
  for (const t of state.localStream.getTracks()) {
    if (simulcast && id === SERVER && t.kind === "video") {
      // Keep each layer's size under CPU load (Chromium drops the frame rate instead), so a
      // member asking for a small picture gets the small layer, not a shrunken big one.
      t.contentHint = "detail";
      pc.addTransceiver(t, { direction: "sendrecv", streams: [state.localStream], sendEncodings: [
        { rid: "f" }, { rid: "h", scaleResolutionDownBy: 2 }, { rid: "q", scaleResolutionDownBy: 4 }] });
    } else {
      pc.addTrack(t, state.localStream);
    }
  }
}

async function onSignal(m) {
  switch (m.type) {
    case "redirect": {
      // The room's home is another server instance: join there instead.
      if (m.room_id !== state.room) break;
      if (state.redirects >= MAX_REDIRECTS) {
        recordError("redirect", "more than " + MAX_REDIRECTS + " redirects in a row (last to " + m.url + ")");
        break;
      }
      state.redirects += 1;
      state.report.redirects.push(m.url);
      logChat("room " + m.room_id + " is served at " + m.url + "; joining there", "system");
      const old = state.ws;
      connect(m.url);
      old.close();
      break;
    }
    case "room_peers":
      state.redirects = 0;
      setStatus("in room " + m.room_id + (state.sfu ? " (SFU)" : ""));
      logChat("joined room " + m.room_id + (m.peers.length ? " with " + m.peers.join(", ") : " (empty)"), "system");
      if (state.sfu) {
        // One connection, to the server; we offer it our tracks and a chat channel.
        state.members = [...m.peers];
        if (maxResolution) send({ type: "max_resolution", width: +maxResolution[1], height: +maxResolution[2] });
        createPeer(SERVER, true);
      } else {
        // The joiner offers to everyone already there.
        for (const id of m.peers) createPeer(id, true);
      }
      break;
    case "peer_joined":
      logChat(m.peer_id + " joined", "system");
      if (state.sfu) { if (!state.members.includes(m.peer_id)) state.members.push(m.peer_id); }
      else createPeer(m.peer_id, false);
      break;
    case "peer_left":
      logChat(m.peer_id + " left", "system");
      if (state.sfu) { state.members = state.members.filter((id) => id !== m.peer_id); removeMedia(m.peer_id); }
      else removePeer(m.peer_id);
      break;
    case "offer":
    case "answer": {
      const from = m.from === undefined ? SERVER : m.from;
      const peer = state.peers.get(from) || createPeer(from, false);
      await peer.onDescription(m.type === "offer" ? m.offer : m.answer);
      break;
    }
    case "ice_candidate": {
      const peer = state.peers.get(m.from === undefined ? SERVER : m.from);
      if (peer) await peer.onCandidate(m.candidate);
      break;
    }
    case "speaker_changed":
      state.speaker = m.peer_id === undefined ? null : m.peer_id;
      state.report.speakers.push(state.speaker);
      break;
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
    // The SFU is always the polite side.
    this.polite = id !== SERVER && state.me > id;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.incomingFile = null;
    this.fileOpen = new Promise((resolve) => { this.resolveFileOpen = resolve; });
    this.pc = new RTCPeerConnection({ iceServers: state.iceServers, iceTransportPolicy: relayOnly ? "relay" : "all" });
    this.pc.onicecandidate = (e) => {
      if (!e.candidate) return;
      if (e.candidate.address) state.report.localCandidateAddresses.push(e.candidate.address);
      sendTo(id, { type: "ice_candidate", candidate: e.candidate.toJSON() });
    };
    this.pc.onnegotiationneeded = async () => {
      try {
        this.makingOffer = true;
        await this.pc.setLocalDescription();
        sendTo(id, { type: "offer", offer: this.pc.localDescription.toJSON() });
      } catch (e) { recordError("negotiation with " + id, e); } finally { this.makingOffer = false; }
    };
    this.pc.onconnectionstatechange = () => {
      renderMembers();
      // SFU mode: a failed connection to the server is replaced by a new one (the server gives
      // the new connection's offer a new session); a failed mesh connection stays failed.
      if (id === SERVER && this.pc.connectionState === "failed" && state.peers.get(SERVER) === this) {
        logChat("the connection to the SFU failed: connecting again", "system");
        state.report.sfuReconnects += 1;
        this.pc.close();
        for (const member of state.members) removeMedia(member);
        state.midToMember.clear();
        state.trackToMember.clear();
        state.peers.delete(SERVER);
        setTimeout(() => { if (state.sfu && !state.peers.has(SERVER)) createPeer(SERVER, true); }, 1000);
      }
    };
    this.pc.ontrack = (e) => {
      // From the SFU, the stream id names the member whose track it is.
      const member = id === SERVER ? (e.streams[0] ? e.streams[0].id : "?") : id;
      if (id === SERVER) {
        state.midToMember.set(e.transceiver.mid, member);
        state.trackToMember.set(e.track.id, member);
      }
      if (e.track.kind === "audio") playAudio(member, e.track);
      else showVideo(member, e.streams[0] || new MediaStream([e.track]));
    };
    this.pc.ondatachannel = (e) => this.attach(e.channel);
    if (state.localStream) addLocalTracks(this.pc, id);
    if (initiator) {
      // Ask to receive audio and video even without a camera (e.g. from `swiftrtc play`); a
      // camera started later reuses these transceivers.
      // (The SFU adds the members' tracks itself.)
      if (!state.localStream && id !== SERVER) for (const kind of ["audio", "video"]) this.pc.addTransceiver(kind, { direction: "recvonly" });
      this.attach(this.pc.createDataChannel("chat"));
      if (id !== SERVER) this.attach(this.pc.createDataChannel("file"));
    }
  }

  async onDescription(description) {
    const collision = description.type === "offer" && (this.makingOffer || this.pc.signalingState !== "stable");
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) return;
    await this.pc.setRemoteDescription(description);
    if (description.type === "offer") {
      await this.pc.setLocalDescription();
      sendTo(this.id, { type: "answer", answer: this.pc.localDescription.toJSON() });
    }
  }

  async onCandidate(candidate) {
    try { await this.pc.addIceCandidate(candidate); } catch (e) { if (!this.ignoreOffer) throw e; }
  }

  attach(channel) {
    if (channel.label === "chat") {
      this.chat = channel;
      channel.onopen = () => { logChat("chat with " + (this.id === SERVER ? "the room (SFU)" : this.id) + " open", "system"); renderMembers(); onChatOpen(this); };
      channel.onmessage = (e) => {
        const from = this.id === SERVER ? "room" : this.id;
        logChat(from + ": " + e.data);
        state.report.chatReceived.push({ from, text: e.data });
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

  close() {
    this.pc.close();
    removeMedia(this.id);
  }
}

// ---------- Members' media (a member's video figure and audio element) ----------
function showVideo(member, stream) {
  let figure = document.getElementById("video-" + member);
  if (!figure) {
    figure = document.createElement("figure");
    figure.id = "video-" + member;
    figure.dataset.member = member;
    const video = document.createElement("video");
    video.autoplay = true;
    video.muted = true;
    video.playsInline = true;
    const caption = document.createElement("figcaption");
    caption.textContent = member;
    figure.append(video, caption);
    $("videos").append(figure);
    state.report.videoFrames[member] = state.report.videoFrames[member] || 0;
    const count = () => { state.report.videoFrames[member] += 1; video.requestVideoFrameCallback(count); };
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(count);
  }
  const video = figure.querySelector("video");
  if (video.srcObject !== stream) { video.srcObject = stream; video.play().catch(() => {}); }
}

function playAudio(member, track) {
  let audio = document.getElementById("audio-" + member);
  if (!audio) {
    audio = document.createElement("audio");
    audio.id = "audio-" + member;
    audio.autoplay = true;
    document.body.append(audio);
  }
  audio.srcObject = new MediaStream([track]);
  audio.play().catch(() => {});
}

function removeMedia(member) {
  for (const id of ["video-" + member, "audio-" + member]) {
    const element = document.getElementById(id);
    if (element) element.remove();
  }
}

// SFU mode: a member's track the server stopped sending (it left, or stopped the track).
function isEnded(transceiver) {
  return transceiver.currentDirection === "stopped" || transceiver.currentDirection === "inactive"
    || transceiver.receiver.track.readyState === "ended";
}

function isReceiving(transceiver) {
  return (transceiver.currentDirection === "recvonly" || transceiver.currentDirection === "sendrecv")
    && transceiver.receiver.track.readyState === "live";
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
  const [width, height] = cameraSize ? [+cameraSize[1], +cameraSize[2]] : simulcast ? [1280, 720] : [0, 0];
  const constraints = smallVideo ? { width: 320, height: 240, frameRate: 15 }
    : width ? { width: { ideal: width }, height: { ideal: height } } : true;
  state.localStream = await navigator.mediaDevices.getUserMedia({ video: constraints, audio: true });
  if (tone) {
    const context = new AudioContext();
    const oscillator = context.createOscillator();
    const destination = context.createMediaStreamDestination();
    oscillator.frequency.value = 440;
    oscillator.connect(destination);
    oscillator.start();
    await context.resume().catch(() => {});
    for (const t of state.localStream.getAudioTracks()) { state.localStream.removeTrack(t); t.stop(); }
    state.localStream.addTrack(destination.stream.getAudioTracks()[0]);
  }
  const figure = document.createElement("figure");
  const video = document.createElement("video");
  video.autoplay = true; video.muted = true; video.playsInline = true;
  video.srcObject = state.localStream;
  const caption = document.createElement("figcaption");
  caption.textContent = state.me + " (you)";
  figure.append(video, caption);
  $("videos").prepend(figure);
  for (const [id, peer] of state.peers) addLocalTracks(peer.pc, id);
  renderMembers();
}

$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  if (state.ws) return;
  $("join-button").disabled = true;
  $("peer-id").disabled = true;
  $("room-id").disabled = true;
  $("sfu-mode").disabled = true;
  const sfu = $("sfu-mode").checked;
  // In an SFU room the camera starts before the one offer to the server (fewer renegotiations).
  const ready = sfu && autotest && params.get("video") !== "0" ? startVideo() : Promise.resolve();
  ready.then(() => join($("peer-id").value.trim(), $("room-id").value.trim(), sfu)).catch((err) => recordError("join", err));
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
  const server = state.peers.get(SERVER);
  if (server) {
    // Per member, by the receiving transceiver's mid.
    const stats = await server.pc.getStats();
    stats.forEach((s) => {
      const member = s.type === "inbound-rtp" ? (state.midToMember.get(s.mid) || state.trackToMember.get(s.trackIdentifier)) : undefined;
      if (member === undefined) return;
      if (s.kind === "video") state.report.framesDecoded[member] = s.framesDecoded || 0;
      if (s.kind === "video") state.report.frameWidths[member] = s.frameWidth || 0;
      if (s.kind === "audio") state.report.audioSamples[member] = s.totalSamplesReceived || 0;
    });
    const live = {}, ended = new Set();
    for (const t of server.pc.getTransceivers()) {
      const member = state.midToMember.get(t.mid);
      if (member === undefined) continue;
      if (isReceiving(t)) live[member] = (live[member] || 0) + 1;
      else if (isEnded(t)) ended.add(member);
      // The member's own audio levels (RFC 6464), which the server passes on with its packets.
      if (t.receiver.track.kind === "audio") {
        for (const source of t.receiver.getSynchronizationSources()) {
          if (source.audioLevel !== undefined) {
            state.report.peakAudioLevels[member] = Math.max(state.report.peakAudioLevels[member] || 0, source.audioLevel);
          }
        }
      }
    }
    // A member whose tracks all ended loses its video and audio elements.
    for (const member of ended) if (!live[member]) removeMedia(member);
    state.report.liveTracks = live;
    return;
  }
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
if (params.get("sfu") === "1") $("sfu-mode").checked = true;
if (autotest) {
  $("join-form").requestSubmit();
  setInterval(async () => {
    try { await collectStats(); } catch (e) { /* a closing connection */ }
    const body = JSON.stringify(Object.assign({ peer: state.me }, state.report));
    fetch("/test-report", { method: "POST", headers: { "content-type": "application/json" }, body }).catch(() => {});
  }, 500);
}
