/// RTCMedia: media containers on the file side of SwiftRTC (IVF, Ogg/Opus, H.264 Annex B,
/// WebM), their readers and writers, paced file sources and the recorder. It only touches
/// files and byte buffers; no sockets, no RTP.
public enum RTCMedia {}
