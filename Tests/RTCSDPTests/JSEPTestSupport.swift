import RTCCore
import RTCSDP

/// Shared values for the JSEP tests: transport parameters for two endpoints and small helpers.
enum JSEPTestSupport {
    static func transport(_ ufrag: String, setup: SetupRole) -> TransportParameters {
        TransportParameters(iceUfrag: ufrag, icePwd: "0123456789abcdefghijkl",
                            fingerprints: [CertificateFingerprint(algorithm: "sha-256", digest: Array(repeating: 0xAB, count: 32))],
                            setup: setup)
    }

    /// The typed RTP section at `index` of `document`, or a failed expectation.
    static func section(_ document: SDPDocument, _ index: Int) throws -> JSEPMediaSection {
        guard let s = try JSEPMediaSection(document.media[index], mLineIndex: index) else {
            throw JSEPTestFailure.notRTP(index)
        }
        return s
    }

    /// Parses `text` as SDP and reads it for JSEP; returns the JSEP error, if any.
    static func jsepError(_ text: String) throws -> JSEPError? {
        let document = try SDPDocument(parsing: text)
        do {
            _ = try JSEPDescription(document)
            return nil
        } catch {
            return error
        }
    }

    /// A minimal offer: one video section (VP8 96 + RTX 97) with `lines` replacing or adding lines.
    static func videoOffer(formats: String = "96 97", mid: String? = "0", extra: [String] = [],
                           rtx: [String] = ["a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96"], bundle: String? = "0") -> String {
        var lines = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0"]
        if let bundle { lines.append("a=group:BUNDLE \(bundle)") }
        lines += ["m=video 9 UDP/TLS/RTP/SAVPF \(formats)", "c=IN IP4 0.0.0.0", "a=ice-ufrag:abcd",
                  "a=ice-pwd:0123456789abcdefghijkl", "a=setup:actpass"]
        if let mid { lines.append("a=mid:\(mid)") }
        lines += ["a=sendrecv", "a=rtcp-mux", "a=rtpmap:96 VP8/90000", "a=rtcp-fb:96 nack"] + rtx + extra
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}

enum JSEPTestFailure: Error {
    case notRTP(Int)
}
