import Foundation
import NIOCore
import RTCMedia
import Testing

@Suite struct MediaFileSinkTests {
    @Test func writesPatchesAndRefusesPatchesBeyondTheEnd() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sink-\(UUID().uuidString).ivf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = try MediaFileSink(path: path)
        var writer = IVFWriter(codec: .vp8, width: 2, height: 2)
        var out = ByteBuffer()
        try writer.write(frame: ByteBuffer(bytes: [1, 2, 3]), timestamp: 0, into: &out)
        try sink.write(&out)
        #expect(out.readableBytes == 0, "the sink clears the buffer it wrote")
        #expect(throws: MediaFileError.self) { try sink.apply([MediaFilePatch(offset: 47, bytes: [0])], after: &out) }
        try sink.finish(&writer)
        #expect(sink.bytesWritten == 32 + 12 + 3)
        let header = try IVFReader(ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: path)))).header
        #expect(header.frameCount == 1, "the frame count was patched in")
        #expect(throws: MediaWriterError.finished) { try sink.finish(&writer) }
    }

    @Test func aFileThatCannotBeCreatedIsATypedError() {
        #expect(throws: MediaFileError.self) { _ = try MediaFileSink(path: "/nonexistent-dir-\(UUID().uuidString)/x.ogg") }
    }
}
