/// RTCMedia: media containers on the file side of SwiftRTC. Writers (``IVFWriter``,
/// ``OggOpusWriter``, ``AnnexBWriter``) and readers (``IVFReader``, ``OggReader``) work on byte
/// buffers only; ``MediaFileSink`` is the thin edge that puts the bytes in a file. No sockets,
/// no RTP: frames come from RTCRTP's depacketizers.
public enum RTCMedia {}
