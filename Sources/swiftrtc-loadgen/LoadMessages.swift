import NIOCore

/// The signaling messages the load generator sends, built straight into bytes (no JSON
/// encoder on the hot path), and the byte scans it uses on what comes back.
enum LoadMessages {
    /// What a relayed message looks like.
    enum Kind: String {
        /// An `ice_candidate` the size of a real server-reflexive candidate (~260 bytes).
        case ice
        /// An `offer` with a ~2.5 KB SDP (one audio and one data section, a few candidates).
        case offer
    }

    /// `{"type":"join",...}`, as a complete masked client frame.
    static func join(peer: String, room: String, key: UInt32) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: headerRoom + 64 + peer.utf8.count + room.utf8.count)
        buffer.moveWriterIndex(forwardBy: headerRoom)
        buffer.moveReaderIndex(forwardBy: headerRoom)
        buffer.writeString(#"{"type":"join","peer_id":"\#(peer)","room_id":"\#(room)"}"#)
        frame(&buffer, key: key)
        return buffer
    }

    /// Room left before a message for its frame header: 2 bytes, a 16-bit length, a 4-byte mask.
    static let headerRoom = 8

    /// A relayed message to `target` that carries `timestamp` (uptime nanoseconds) as `ts=N`,
    /// as a complete masked client frame (``frame(_:key:)``).
    static func relayed(_ kind: Kind, target: String, timestamp: UInt64, key: UInt32, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: headerRoom + (kind == .ice ? 320 : 2800))
        buffer.moveWriterIndex(forwardBy: headerRoom)
        buffer.moveReaderIndex(forwardBy: headerRoom)
        switch kind {
        case .ice:
            buffer.writeString(#"{"type":"ice_candidate","target":""#)
            buffer.writeString(target)
            buffer.writeString(#"","candidate":{"candidate":"candidate:842163049 1 udp 1677729535 203.0.113.7 54321 typ srflx raddr 192.168.1.20 rport 54321 generation 0 ufrag EsAw network-id 1 network-cost 10 ts="#)
            buffer.writeString(String(timestamp))
            buffer.writeString(#"","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"EsAw"}}"#)
        case .offer:
            buffer.writeString(#"{"type":"offer","target":""#)
            buffer.writeString(target)
            buffer.writeString(#"","offer":{"type":"offer","sdp":""#)
            buffer.writeString(sdpHead)
            buffer.writeString("a=x-ts=")
            buffer.writeString(String(timestamp))
            buffer.writeString(#"\r\n"}}"#)
        }
        frame(&buffer, key: key)
        return buffer
    }

    /// Turns `buffer`'s readable bytes (at most 65,535, after ``headerRoom`` bytes of room)
    /// into one final, masked text frame, in place: the header goes into the room and the
    /// payload is masked eight bytes at a time. Writing frames this way, past NIO's frame
    /// encoder, saves the generator a copy and a separate header buffer per message.
    static func frame(_ buffer: inout ByteBuffer, key: UInt32) {
        let length = buffer.readableBytes
        precondition(length <= 0xFFFF && buffer.readerIndex >= headerRoom)
        let headerSize = length <= 125 ? 6 : 8
        let start = buffer.readerIndex - headerSize
        buffer.setInteger(UInt8(0x81), at: start)  // FIN, text
        if length <= 125 {
            buffer.setInteger(0x80 | UInt8(length), at: start + 1)
        } else {
            buffer.setInteger(UInt8(0x80 | 126), at: start + 1)
            buffer.setInteger(UInt16(length), at: start + 2)
        }
        buffer.setInteger(key, at: start + headerSize - 4)  // network order: key byte k is (key >> (24 - 8k))
        buffer.withUnsafeMutableReadableBytes { payload in
            var pattern: UInt64 = 0
            withUnsafeMutableBytes(of: &pattern) { bytes in
                for index in 0..<8 { bytes[index] = UInt8(truncatingIfNeeded: key >> (24 - 8 * UInt32(index & 3))) }
            }
            var index = 0
            while index + 8 <= length {
                let word = payload.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                payload.storeBytes(of: word ^ pattern, toByteOffset: index, as: UInt64.self)
                index += 8
            }
            while index < length {
                payload[index] ^= UInt8(truncatingIfNeeded: key >> (24 - 8 * UInt32(index & 3)))
                index += 1
            }
        }
        buffer.moveReaderIndex(to: start)
    }

    /// About 2.5 KB of SDP, JSON-escaped (`\r\n` as the four characters).
    private static let sdpHead: String = {
        var lines = [
            "v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
            "a=extmap-allow-mixed", "a=msid-semantic: WMS stream",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
            "a=ice-ufrag:EsAw", "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1", "a=ice-options:trickle",
            "a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F",
            "a=setup:actpass", "a=mid:0", "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
            "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid", "a=sendrecv", "a=msid:stream audio0",
            "a=rtcp-mux", "a=rtpmap:111 opus/48000/2", "a=rtcp-fb:111 transport-cc", "a=fmtp:111 minptime=10;useinbandfec=1",
            "a=rtpmap:63 red/48000/2", "a=fmtp:63 111/111", "a=rtpmap:9 G722/8000", "a=rtpmap:0 PCMU/8000",
            "a=rtpmap:8 PCMA/8000", "a=rtpmap:13 CN/8000", "a=rtpmap:110 telephone-event/48000",
            "a=rtpmap:126 telephone-event/8000", "a=ssrc:3735928559 cname:4TOk42mSjXCkVIa6",
            "a=ssrc:3735928559 msid:stream audio0",
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0",
            "a=ice-ufrag:EsAw", "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1", "a=ice-options:trickle",
            "a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F",
            "a=setup:actpass", "a=mid:1", "a=sctp-port:5000", "a=max-message-size:262144",
        ]
        for i in 0..<8 {
            lines.append("a=candidate:84216304\(i) 1 udp 2122260223 192.168.1.\(20 + i) 5\(4321 + i) typ host generation 0 network-id \(i + 1)")
        }
        return lines.map { $0 + #"\r\n"# }.joined()
    }()

    private static let tsMarker: [UInt8] = Array("ts=".utf8)

    /// The `ts=N` timestamp in a relayed message, or nil when the message has none.
    static func timestamp(in buffer: ByteBuffer) -> UInt64? {
        buffer.withUnsafeReadableBytes { bytes -> UInt64? in
            guard let at = find(tsMarker, in: bytes) else { return nil }
            var value: UInt64 = 0
            var i = at + tsMarker.count
            var digits = 0
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                value = value &* 10 &+ UInt64(bytes[i] - 48)
                i += 1
                digits += 1
            }
            return digits > 0 ? value : nil
        }
    }

    /// `true` when `needle` occurs in the message.
    static func contains(_ needle: [UInt8], in buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { find(needle, in: $0) != nil }
    }

    private static func find(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int? {
        guard needle.count <= bytes.count, let first = needle.first else { return nil }
        var i = 0
        let last = bytes.count - needle.count
        while i <= last {
            if bytes[i] == first {
                var j = 1
                while j < needle.count, bytes[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
