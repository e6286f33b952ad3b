import NIOCore
import RTCMedia

/// libFuzzer entry: arbitrary bytes as a media file of any container (IVF, Ogg, WebM,
/// Annex B, told apart by magic bytes). MediaFileSource either refuses it with a typed error
/// naming the file, or yields non-empty samples from 0 in timestamp order with non-negative
/// durations, of the tracks it lists; looping adds one pass's duration.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let contents = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    let source: MediaFileSource
    do {
        source = try MediaFileSource(contents: contents, name: "fuzz.bin", loops: true)
    } catch {
        precondition(error.description.hasPrefix("fuzz.bin: "), "the error names the file")
        return 0
    }
    let samples = source.samples
    precondition(!samples.isEmpty && samples[0].timestamp == .zero, "samples start at 0")
    for (previous, next) in zip(samples, samples.dropFirst()) {
        precondition(previous.timestamp <= next.timestamp, "timestamp order")
    }
    for sample in samples {
        // Annex B access units are rewritten with 4-byte start codes, so may outgrow 3-byte ones.
        precondition(sample.data.readableBytes > 0 && sample.data.readableBytes <= 2 * size, "sample size")
        precondition((sample.duration ?? .zero) >= .zero, "negative duration")
        precondition(source.tracks.contains { $0.kind == sample.kind && $0.codec == sample.codec }, "sample of an unlisted track")
        precondition(sample.timestamp + (sample.duration ?? .zero) <= source.duration, "a sample ends after the file")
    }
    var looping = source
    for _ in samples { _ = looping.nextSample() }
    let wrapped = looping.nextSample()
    precondition(wrapped?.timestamp == max(source.duration, .milliseconds(1)), "the second pass starts one pass later")
    return 0
}
