import NIOCore
import RTCMedia

/// libFuzzer entry: arbitrary bytes as a WebM file. Whatever WebMReader accepts must give
/// frames that are views into the input (never more bytes than it has), of a track it lists,
/// and the reader must end (nil or a typed error) within a bounded number of calls.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let file = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    guard var reader = try? WebMReader(file) else { return 0 }
    precondition(Set(reader.tracks.map(\.number)).count == reader.tracks.count, "track numbers are unique")
    var calls = 0
    var bytes = 0
    while true {
        calls += 1
        // Each frame costs at least one byte of input, or is one of ≤ 256 laces of a block.
        precondition(calls <= 256 * (size + 1), "the reader does not end")
        guard let frame = try? reader.nextFrame() else { break }
        precondition(reader.track(number: frame.trackNumber) != nil, "a frame of a track that is not listed")
        bytes += frame.data.readableBytes
        precondition(frame.data.readableBytes <= size, "a frame larger than the input")
    }
    precondition(bytes <= 256 * size, "frames hold more bytes than laces could repeat")
    return 0
}
