import RTCSDP

/// libFuzzer entry point for the SDP parser (RFC 8866) and the standalone attribute and ICE
/// candidate parsers. Beyond "never crashes" it checks the round-trip invariants: whatever
/// parses must serialize to text that parses back to an equal value, and serializing again
/// must give the same text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)

    if let description = try? SDPDocument(parsing: text) {
        let out = description.serialized()
        guard let again = try? SDPDocument(parsing: out) else {
            fatalError("serialized description does not parse:\n\(out)")
        }
        guard again == description else { fatalError("round trip changed the description:\n\(out)") }
        guard again.serialized() == out else { fatalError("serialization is not stable:\n\(out)") }
    }

    if let candidate = try? ICECandidateAttribute(parsing: text) {
        let out = candidate.candidateString
        guard let again = try? ICECandidateAttribute(parsing: out) else { fatalError("candidate does not re-parse: \(out)") }
        guard again == candidate, again.candidateString == out else { fatalError("candidate round trip differs: \(out)") }
        guard (try? ICECandidateAttribute(parsing: "a=" + out + "\r\n")) == candidate else {
            fatalError("a=…CRLF form differs: \(out)")
        }
    }

    if let attribute = try? Attribute(parsing: text) {
        let out = attribute.sdpLine
        guard let again = try? Attribute(parsing: out) else { fatalError("attribute does not re-parse: \(out)") }
        guard again == attribute, again.sdpLine == out else { fatalError("attribute round trip differs: \(out)") }
    }
    return 0
}
