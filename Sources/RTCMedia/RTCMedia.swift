/// RTCMedia: media containers on the file side of SwiftRTC. Writers (``IVFWriter``,
/// ``OggOpusWriter``, ``AnnexBWriter``, ``WebMWriter`` on our own ``EBMLWriter``) and readers
/// (``IVFReader``, ``OggReader``, ``WebMReader``, ``AnnexBReader``) work on byte buffers only;
/// ``MediaFileSink`` is the thin edge that puts the bytes in a file. ``MediaFileSource`` reads a
/// file once (any of the four containers, by magic bytes) into timed ``MediaSample``s, with
/// typed ``MediaSourceError``s naming the path, and ``MediaPacer`` releases them in real time
/// on a `now` it is given. No sockets, no RTP: frames come from RTCRTP's depacketizers.
public enum RTCMedia {}
