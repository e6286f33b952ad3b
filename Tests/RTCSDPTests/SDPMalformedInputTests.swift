import Testing
import RTCSDP

@Suite struct SDPMalformedInputTests {
    static let valid = [
        "v=0", "o=- 123 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0",
        "a=mid:0", "a=sctp-port:5000",
    ]

    /// Replaces line `number` (1-based) of the valid description, parses, and returns the error.
    static func error(replacing number: Int, with line: String?) -> SDPParseError? {
        var lines = valid
        if let line { lines[number - 1] = line } else { lines.remove(at: number - 1) }
        do {
            _ = try SDPDocument(parsing: lines.joined(separator: "\r\n") + "\r\n")
            return nil
        } catch {
            return error
        }
    }

    @Test func theBaseDescriptionIsValid() throws {
        let d = try SDPDocument(parsing: Self.valid.joined(separator: "\n"))
        #expect(d.media.count == 1 && d.media[0].sctpPort == 5000)
    }

    @Test func emptyInput() {
        #expect(throws: SDPParseError(line: 1, text: "", reason: .empty)) { try SDPDocument(parsing: "") }
        #expect(throws: SDPParseError(line: 1, text: "", reason: .empty)) { try SDPDocument(parsing: "\r\n\n") }
    }

    @Test func missingVersion() throws {
        let e = try #require(Self.error(replacing: 1, with: nil))
        #expect(e.line == 1 && e.reason == .missingVersion && e.text == "o=- 123 2 IN IP4 127.0.0.1")
    }

    @Test func unsupportedVersion() throws {
        let e = try #require(Self.error(replacing: 1, with: "v=1"))
        #expect(e.line == 1 && e.reason == .unsupportedVersion("1"))
    }

    @Test func badOrigin() throws {
        let e = try #require(Self.error(replacing: 2, with: "o=- 123 2 IN IP4"))
        #expect(e.line == 2 && e.reason == .fieldCount(field: "o=", expected: "6", found: 5))
        let n = try #require(Self.error(replacing: 2, with: "o=- abc 2 IN IP4 1.2.3.4"))
        #expect(n.line == 2 && n.reason == .invalidNumber(field: "o= sess-id", value: "abc"))
    }

    @Test func missingSessionName() throws {
        let e = try #require(Self.error(replacing: 3, with: nil))
        #expect(e.line == 3 && e.reason == .missingLine("s="))
    }

    @Test func missingTiming() throws {
        let e = try #require(Self.error(replacing: 4, with: nil))
        // Reported at the first m= line (line 5 once t= is removed).
        #expect(e.line == 5 && e.reason == .missingLine("t="))
    }

    @Test func badMediaLine() throws {
        let e = try #require(Self.error(replacing: 6, with: "m=application 9"))
        #expect(e.line == 6 && e.reason == .fieldCount(field: "m=", expected: "at least 3", found: 2))
        #expect(e.text == "m=application 9")
    }

    @Test func nonNumericPort() throws {
        let e = try #require(Self.error(replacing: 6, with: "m=application nine UDP/DTLS/SCTP webrtc-datachannel"))
        #expect(e.line == 6 && e.reason == .invalidNumber(field: "m= port", value: "nine"))
        let big = try #require(Self.error(replacing: 6, with: "m=application 65536 UDP/DTLS/SCTP webrtc-datachannel"))
        #expect(big.line == 6 && big.reason == .invalidNumber(field: "m= port", value: "65536"))
    }

    @Test func truncatedAttribute() throws {
        let e = try #require(Self.error(replacing: 9, with: "a=sctp-port"))
        #expect(e.line == 9 && e.reason == .missingValue(attribute: "sctp-port"))
        let r = try #require(Self.error(replacing: 9, with: "a=rtpmap:111 opus"))
        #expect(r.line == 9 && r.reason == .invalidValue(field: "rtpmap encoding", value: "opus"))
        let f = try #require(Self.error(replacing: 9, with: "a=fingerprint:sha-256"))
        #expect(f.line == 9 && f.reason == .fieldCount(field: "fingerprint", expected: "2", found: 1))
    }

    @Test func lineWithoutEquals() throws {
        let e = try #require(Self.error(replacing: 8, with: "a"))
        #expect(e.line == 8 && e.reason == .notTypeValue)
        let s = try #require(Self.error(replacing: 8, with: "a:mid=0"))
        #expect(s.line == 8 && s.reason == .notTypeValue)
    }

    @Test func unknownLineType() throws {
        let e = try #require(Self.error(replacing: 7, with: "x=whatever"))
        #expect(e.line == 7 && e.reason == .unknownLineType("x"))
    }

    @Test func lineTypeNotAllowedInMediaSection() throws {
        let e = try #require(Self.error(replacing: 7, with: "t=0 0"))
        #expect(e.line == 7 && e.reason == .unexpectedLine("t"))
    }

    @Test func invalidAttributeValues() throws {
        let cases: [(String, SDPParseError.Reason)] = [
            ("a=setup:sideways", .invalidValue(field: "setup", value: "sideways")),
            ("a=rtcp-mux:yes", .unexpectedValue(attribute: "rtcp-mux")),
            ("a=rtpmap:200 opus/48000/2", .invalidNumber(field: "rtpmap payload type", value: "200")),
            ("a=rtpmap:111 opus/fast", .invalidNumber(field: "rtpmap clock rate", value: "fast")),
            ("a=extmap:1/sideways urn:x", .invalidValue(field: "extmap direction", value: "sideways")),
            ("a=ssrc:12x cname:a", .invalidNumber(field: "ssrc", value: "12x")),
            ("a=ssrc-group:FID 1 two", .invalidNumber(field: "ssrc-group ssrc", value: "two")),
            ("a=rid:h both", .invalidValue(field: "rid direction", value: "both")),
            ("a=simulcast:send", .fieldCount(field: "simulcast", expected: "2 or 4", found: 1)),
            ("a=simulcast:send h;;l", .invalidValue(field: "simulcast rid", value: "h;;l")),
            ("a=max-message-size:-1", .invalidNumber(field: "max-message-size", value: "-1")),
            ("a=candidate:1 1 udp 1 1.2.3.4 5 typ", .fieldCount(field: "candidate", expected: "at least 8", found: 7)),
            ("a=msid:a b c", .fieldCount(field: "msid", expected: "1 or 2", found: 3)),
            ("a=rtcp-fb:96", .fieldCount(field: "rtcp-fb", expected: "at least 2", found: 1)),
            ("a=group:", .fieldCount(field: "group", expected: "at least 1", found: 0)),
        ]
        for (line, reason) in cases {
            let e = try #require(Self.error(replacing: 8, with: line))
            #expect(e.line == 8, "\(line)")
            #expect(e.reason == reason, "\(line): \(e)")
            #expect(e.text == line)
        }
    }

    @Test func lineNumbersCountBlankAndLFOnlyLines() throws {
        let text = "v=0\n\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\nt=0 0\nm=audio 9 RTP/AVP 0\na=rtpmap:0 PCMU\n"
        #expect(throws: SDPParseError(line: 7, text: "a=rtpmap:0 PCMU", reason: .invalidValue(field: "rtpmap encoding", value: "PCMU"))) {
            try SDPDocument(parsing: text)
        }
    }

    @Test func unknownAttributesAreKeptVerbatimInOrder() throws {
        let text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=x-first:1 2  3\r\na=mid:s\r\na=x-flag\r\na=x-empty:\r\n"
        let d = try SDPDocument(parsing: text)
        #expect(d.attributes == [.other(name: "x-first", value: "1 2  3"), .mid("s"), .other(name: "x-flag", value: nil),
                                 .other(name: "x-empty", value: "")])
        #expect(d.serialized() == text)
    }

    @Test func errorDescriptionNamesTheLine() throws {
        let e = try #require(Self.error(replacing: 6, with: "m=application nine UDP/DTLS/SCTP webrtc-datachannel"))
        #expect(e.description.contains("line 6"))
        #expect(e.description.contains("nine"))
    }
}
