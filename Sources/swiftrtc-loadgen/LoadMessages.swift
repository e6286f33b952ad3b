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

    /// `{"type":"join",...}`.
    static func join(peer: String, room: String) -> ByteBuffer {
        ByteBuffer(string: #"{"type":"join","peer_id":"\#(peer)","room_id":"\#(room)"}"#)
    }

    /// A relayed message to `target` that carries `timestamp` (uptime nanoseconds) as `ts=N`.
    static func relayed(_ kind: Kind, target: String, timestamp: UInt64, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: kind == .ice ? 320 : 2800)
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
        return buffer
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
