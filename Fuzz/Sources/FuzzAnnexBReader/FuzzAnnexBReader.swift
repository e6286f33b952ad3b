import NIOCore
import RTCMedia
import RTCRTP

/// libFuzzer entry: arbitrary bytes as an H.264 Annex B stream. Every access unit AnnexBReader
/// gives holds a coded slice, says it is a key frame exactly when it holds an IDR slice, splits
/// back into the NAL unit types it lists, and comes at the next frame time; together they
/// hold no more NAL units than the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let stream = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    let framesPerSecond = size > 0 ? Double(data[0] % 60) + 1 + Double(data[0] >> 6) / 1.001 : 30
    guard var reader = try? AnnexBReader(stream, framesPerSecond: framesPerSecond) else { return 0 }
    let nalCount = H264PayloadFormat.nalUnits(inAnnexB: stream).count
    var units = 0
    var nals = 0
    while let unit = reader.nextAccessUnit() {
        precondition(unit.index == units, "access units are numbered in order")
        precondition(unit.timestamp == AnnexBReader.time(ofFrame: units, framesPerSecond: framesPerSecond), "timestamp")
        precondition(units == 0 || unit.timestamp > AnnexBReader.time(ofFrame: units - 1, framesPerSecond: framesPerSecond), "time grows")
        precondition(unit.nalUnitTypes.contains { $0 == 1 || $0 == 5 }, "an access unit without a coded slice")
        precondition(unit.isKeyFrame == unit.nalUnitTypes.contains(5), "key frame flag")
        let split = H264PayloadFormat.nalUnits(inAnnexB: unit.data).map { H264PayloadFormat.type(of: $0) ?? 0 }
        precondition(split == unit.nalUnitTypes, "the access unit's bytes split into other NAL units")
        units += 1
        nals += unit.nalUnitTypes.count
        precondition(nals <= nalCount, "more NAL units out than in")
    }
    return 0
}
