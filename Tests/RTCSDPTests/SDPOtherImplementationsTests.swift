import Testing
import RTCSDP

/// Shapes of SDP written by other implementations than the captured ones (hand-written in
/// their style: Firefox's origin and extmap directions, upper-case transports, `rtcp-fb:*`,
/// and the legacy pre-RFC 8841 data channel section). They must parse and round-trip.
@Suite struct SDPOtherImplementationsTests {
    static let firefoxStyle = """
        v=0
        o=mozilla...THIS_IS_SDPARTA-99.0 6459426446451227346 0 IN IP4 0.0.0.0
        s=-
        t=0 0
        a=sendrecv
        a=fingerprint:sha-256 8B:2F:6A:8E:1C:5D:44:0A:9F:21:7E:B3:C2:91:0D:35:7A:66:E4:12:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01
        a=group:BUNDLE 0 1
        a=ice-options:trickle
        a=msid-semantic:WMS *
        m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101
        c=IN IP4 0.0.0.0
        a=candidate:0 1 UDP 2122252543 192.0.2.10 50612 typ host
        a=candidate:1 1 TCP 2105524479 192.0.2.10 9 typ host tcptype active
        a=end-of-candidates
        a=sendrecv
        a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
        a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level
        a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid
        a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1
        a=fmtp:101 0-15
        a=ice-pwd:0e7a8ae1a6a4bcc3bd7c7a2d1f9a5c3e
        a=ice-ufrag:4e3c2a1b
        a=mid:0
        a=msid:{8a5f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b} {1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e}
        a=rtcp-fb:* nack
        a=rtcp-mux
        a=rtpmap:109 opus/48000/2
        a=rtpmap:9 G722/8000/1
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=rtpmap:101 telephone-event/8000/1
        a=setup:actpass
        a=ssrc:2655508255 cname:{735484ea-4f6c-4972-9f4b-7b7c4b2b1a5d}
        m=application 9 DTLS/SCTP 5000
        c=IN IP4 0.0.0.0
        b=AS:30
        a=sendrecv
        a=ice-pwd:0e7a8ae1a6a4bcc3bd7c7a2d1f9a5c3e
        a=ice-ufrag:4e3c2a1b
        a=mid:1
        a=sctpmap:5000 webrtc-datachannel 256
        a=fmtp:5000 protocol=webrtc-datachannel;streams=1024
        a=setup:actpass
        a=max-message-size:1073741823
        """

    @Test func firefoxStyleDescriptionParsesAndRoundTrips() throws {
        let d = try SDPDocument(parsing: Self.firefoxStyle)
        #expect(d.origin.username == "mozilla...THIS_IS_SDPARTA-99.0")
        #expect(d.origin.sessionID == 6_459_426_446_451_227_346)
        #expect(d.bundleMids == ["0", "1"])
        // Session-level fingerprint applies to every section that has none.
        #expect(d.fingerprints(forMediaAt: 1).first?.digest.count == 32)
        let audio = d.media[0]
        #expect(audio.extensionMaps[1] == ExtensionMap(id: 2, direction: .recvonly, uri: "urn:ietf:params:rtp-hdrext:csrc-audio-level"))
        #expect(audio.rtcpFeedback(payloadType: 109) == [RTCPFeedback(payloadType: nil, type: "nack")])
        #expect(audio.rtpMap(payloadType: 9)?.channels == 1)
        #expect(audio.formatParameters(payloadType: 101)?.parameters == "0-15")
        #expect(audio.attributes.candidates.map(\.isTCP) == [false, true])
        #expect(audio.attributes.candidates[0].transport == "UDP")
        #expect(audio.hasEndOfCandidates)
        let legacy = d.media[1]
        #expect(legacy.proto == "DTLS/SCTP" && legacy.formats == ["5000"])
        #expect(legacy.bandwidths == [Bandwidth(type: "AS", value: 30)])
        #expect(legacy.formatParameters.first?.format == "5000")
        #expect(legacy.formatParameters.first?.payloadType == nil)
        #expect(legacy.attributes.values(ofUnknown: "sctpmap") == ["5000 webrtc-datachannel 256"])
        #expect(legacy.maxMessageSize == 1_073_741_823)
        #expect(!legacy.isDataChannel)

        let out = d.serialized()
        #expect(try SDPDocument(parsing: out) == d)
        // The LF input comes back as the same lines with CRLF.
        #expect(out == Self.firefoxStyle.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n")
    }
}
