/// A session description read for JSEP (RFC 8829 §5.8): the origin, the m-sections typed by
/// what they carry, and the BUNDLE groups, checked for consistency (unique mids, BUNDLE groups
/// naming existing mids).
public struct JSEPDescription: Hashable, Sendable {
    /// `o=` — the session id and version (RFC 8829 §5.2.2: the version grows with every change).
    public var origin: Origin
    /// The m-sections in order.
    public var sections: [JSEPSection]
    /// The mids of each `a=group:BUNDLE` (RFC 9143 §7.1), in order.
    public var bundleGroups: [[String]]
    /// Whether `a=extmap-allow-mixed` is present at session level (RFC 8285 §6).
    public var extmapAllowMixed: Bool

    /// Reads `document`.
    ///
    /// - Throws: ``JSEPError`` when an m-section in use has no mid, a mid repeats, a BUNDLE
    ///   group names an unknown mid, or an RTP section is inconsistent (see
    ///   ``JSEPMediaSection/init(_:mLineIndex:)``).
    public init(_ document: SDPDocument) throws(JSEPError) {
        origin = document.origin
        extmapAllowMixed = document.attributes.contains(.extmapAllowMixed)
        sections = []
        var mids: Set<String> = []
        for (index, media) in document.media.enumerated() {
            let section: JSEPSection
            if let rtp = try JSEPMediaSection(media, mLineIndex: index) {
                section = .media(rtp)
            } else if media.isDataChannel {
                section = .data(media)
            } else {
                section = .unsupported(media)
            }
            if let mid = section.mid ?? media.mid {
                guard !mid.isEmpty, mids.insert(mid).inserted else { throw .duplicateMid(mid) }
            } else if !section.isStopped {
                throw .missingMid(mLineIndex: index)
            }
            sections.append(section)
        }
        bundleGroups = document.attributes.groups.filter { $0.semantics == "BUNDLE" }.map(\.mids)
        for group in bundleGroups {
            for mid in group where !mids.contains(mid) { throw .unknownBundleMid(mid) }
        }
    }

    /// `document` read, or why it cannot be (a session keeps its descriptions read this way).
    public static func reading(_ document: SDPDocument) -> Result<JSEPDescription, JSEPError> {
        do { return .success(try JSEPDescription(document)) } catch { return .failure(error) }
    }

    /// Parses SDP text and reads it (RFC 8866, RFC 8829 §5.8).
    ///
    /// - Throws: ``JSEPDescriptionError`` wrapping the SDP syntax error or the JSEP one.
    public init(parsing text: String) throws(JSEPDescriptionError) {
        let document: SDPDocument
        do { document = try SDPDocument(parsing: text) } catch { throw .syntax(error) }
        do { try self.init(document) } catch { throw .content(error) }
    }

    /// The RTP sections in order.
    public var mediaSections: [JSEPMediaSection] {
        sections.compactMap { if case .media(let m) = $0 { m } else { nil } }
    }

    /// The RTP section with mid `mid`.
    public func mediaSection(mid: String) -> JSEPMediaSection? { mediaSections.first { $0.mid == mid } }

    /// The mid of the first data channel section in use, if any.
    public var dataMid: String? {
        for section in sections {
            if case .data(let d) = section, !section.isStopped { return d.mid }
        }
        return nil
    }
}
