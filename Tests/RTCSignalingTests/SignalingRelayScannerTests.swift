import NIOCore
import RTCSession
import RTCSignaling
@testable import RTCSignalingServer
import Testing

/// The server forwards canonical relayed messages as bytes; the copy must decode to what the
/// full decoder would have forwarded, and anything unusual must take the decoder instead.
@Suite("Signaling relay scanner") struct SignalingRelayScannerTests {
    static func forwarded(_ json: String, from: String) -> SignalingMessage? {
        let buffer = ByteBuffer(string: json)
        guard let relay = SignalingRelayScanner.scan(buffer) else { return nil }
        let out = SignalingRelayScanner.splice(buffer, relay: relay, from: from, allocator: ByteBufferAllocator())
        // The framed copy (what a connection on this server is sent) carries the same bytes.
        let framed = SignalingRelayScanner.splice(buffer, relay: relay, from: from, allocator: ByteBufferAllocator(), framed: true)
        guard let frame = SignalingFramesTests.decodeServerFrame(framed), frame.opcode == .text, frame.data == out else { return nil }
        return try? SignalingMessage.decode(String(buffer: out))
    }

    @Test(arguments: [
        SignalingMessage.offer(.init(type: .offer, sdp: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=\"quoted\" \\ back\r\n"), target: "bob"),
        .answer(.init(type: .answer, sdp: "v=0\r\n"), target: "bob"),
        .answer(.init(type: .pranswer, sdp: ""), target: "bob"),
        .iceCandidate(.init(candidate: "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0), target: "bob"),
        .iceCandidate(.init(candidate: "", sdpMid: nil, sdpMLineIndex: nil, usernameFragment: "uf"), target: "bob"),
    ])
    func canonicalMessagesAreForwardedAsTheDecoderWould(_ message: SignalingMessage) throws {
        let json = message.jsonString()
        let expected: SignalingMessage = switch message {
        case .offer(let d, _, _): .offer(d, from: "al\"ice")
        case .answer(let d, _, _): .answer(d, from: "al\"ice")
        case .iceCandidate(let c, _, _): .iceCandidate(c, from: "al\"ice")
        default: message
        }
        #expect(Self.forwarded(json, from: "al\"ice") == expected)
        #expect(SignalingRelayScanner.scan(ByteBuffer(string: json))?.target == "bob")
    }

    @Test(arguments: [
        #"{"type":"ice_candidate","target":"bob","from":"mallory","candidate":{"candidate":"x"}}"#,  // a client-set from
        #"{"type":"ice_candidate","target":"bob","candidate":{"candidate":"x"},"extra":1}"#,         // unknown key
        #"{"type":"ice_candidate","target":"b\u006fb","candidate":{"candidate":"x"}}"#,                // escaped target
        #"{"type":"ice_candidate","target":"bob","candidate":{"candidate":"x","sdpMLineIndex":1.5}}"#, // not an Int
        #"{"type":"ice_candidate","target":"bob","candidate":{"candidate":"x"}"#,                     // truncated
        #"{"type":"ice_candidate","target":"bob","target":"eve","candidate":{"candidate":"x"}}"#,     // duplicate key
        #"{"type":"offer","target":"bob","offer":{"type":"banana","sdp":"v=0"}}"#,                    // bad description type
        #"{"type":"offer","target":"bob","answer":{"type":"answer","sdp":"v=0"}}"#,                   // wrong payload key
        #"{"type":"offer","target":"bob","offer":{"type":"offer","sdp":"caf\#u{e9}"}}"#,                // non-ASCII
        #"{"type":"join","peer_id":"a","room_id":"r"}"#,                                               // not relayed
        #"{"type":"ice_candidate","candidate":{"candidate":"x"}}"#,                                    // no target
        #"{"type":"offer","target":"bob","offer":{"type":"offer","sdp":"v=0"},"answer":{"type":"answer","sdp":"v=0"}}"#, // two payloads
        #"{"type":"offer","target":"bob","offer":{"type":"offer","sdp":"v=0","sdp":"v=1"}}"#,       // duplicate payload key
        #"{"type":"ice_candidate","target":"bob","candidate":{"candidate":"x","sdp":"v=0"}}"#,      // a description's key in a candidate
        #"{"type":"offer","target":"bob","offer":{"type":"offer","sdp":"v=0","sdpMid":"0"}}"#,    // a candidate's key in a description
        #"{"type":"offer","target":"bob","offer":{"type":"of\u0066er","sdp":"v=0"}}"#,            // escaped description type
        #"{"type":"ice_candidate","target":"bob","candidate":{"candidate":7}}"#,                     // candidate not a string
        #"{"type":"offers","target":"bob","offers":{"type":"offer","sdp":"v=0"}}"#,                 // near-miss type
    ])
    func unusualMessagesTakeTheFullDecoder(_ json: String) {
        #expect(SignalingRelayScanner.scan(ByteBuffer(string: json)) == nil)
    }

    /// The eight-at-a-time string check agrees with a byte-by-byte one on words made of the
    /// bytes that matter (quote, backslash, control and non-ASCII bytes and their neighbours).
    @Test func plainWordCheckMatchesByteByByte() {
        let interesting: [UInt8] = [0x00, 0x01, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x41, 0x5B, 0x5C, 0x5D, 0x7E, 0x7F, 0x80, 0xA2, 0xDC, 0xFF]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<20_000 {
            var bytes = (0..<8).map { _ in interesting.randomElement(using: &generator)! }
            if round % 2 == 0 {  // mostly plain words with at most one odd byte
                bytes = (0..<8).map { _ in UInt8.random(in: 0x23...0x5B, using: &generator) }
                if round % 4 == 0 { bytes[Int.random(in: 0..<8, using: &generator)] = interesting.randomElement(using: &generator)! }
            }
            let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            let plain = bytes.allSatisfy { $0 >= 0x20 && $0 < 0x80 && $0 != 0x22 && $0 != 0x5C }
            #expect(SignalingRelayScanner.isPlain(word) == plain, "\(bytes)")
        }
    }
}
