import NIOCore
import RTCCore
import RTCDTLS
import RTCICE
import RTCSDP

extension RTCSession {
    // MARK: Offer / answer (RFC 8829 §5.2, §5.3)

    /// Creates an offer with one data-channel m-section (RFC 8829 §5.2.1): our ICE credentials,
    /// `a=setup:actpass`, our certificate fingerprint, `a=sctp-port:5000`, `max-message-size`,
    /// BUNDLE, `ice-options:trickle`, and the candidates gathered so far.
    public mutating func createOffer() throws(SessionError) -> SessionDescription {
        guard !isClosed else { throw .closed }
        let credentials = pendingICECredentials ?? ice.localCredentials
        return SessionDescription(type: .offer, sdp: buildDescription(setup: .actpass, credentials: credentials).serialized())
    }

    /// Creates an answer to the remote offer (RFC 8829 §5.3.1). We answer `a=setup:active`
    /// (we become the DTLS client) unless the offer insists on `active`, then `passive`.
    public mutating func createAnswer() throws(SessionError) -> SessionDescription {
        guard !isClosed else { throw .closed }
        guard signaling.state == .haveRemoteOffer || signaling.state == .haveLocalPranswer, let remote = remoteSDP else {
            throw .noRemoteOffer
        }
        let remoteSetup = remote.setup(forMediaAt: dataMediaIndex(in: remote) ?? 0) ?? .actpass
        var setup: SetupRole = remoteSetup == .active ? .passive : .active
        if dtls != nil, let dtlsRole {
            // A re-offer on an established DTLS association: keep our role (RFC 8842 §5.5);
            // browsers refuse an answer that would reverse it.
            setup = dtlsRole == .client ? .active : .passive
        }
        return SessionDescription(type: .answer, sdp: buildDescription(setup: setup, answering: remote).serialized())
    }

    /// The description applied locally, with every candidate gathered since (what a
    /// non-trickling peer needs after gathering completes).
    public var localDescription: SessionDescription? {
        guard let type = localType, let setup = localSetup else { return nil }
        return SessionDescription(type: type, sdp: buildDescription(setup: setup, answering: type == .answer ? remoteSDP : nil).serialized())
    }

    /// The remote description applied last.
    public var remoteDescription: SessionDescription? { remoteDescriptionText }

    /// The `a=mid` of the data m-section (`"0"` unless the peer's offer chose another).
    public var dataMid: String { mid }

    func buildDescription(setup: SetupRole, answering offer: SDPDocument? = nil, credentials: ICECredentials? = nil) -> SDPDocument {
        let credentials = credentials ?? ice.localCredentials
        // Candidates and end-of-candidates belong to the agent's credentials: an offer that
        // restarts ICE carries neither (they are gathered again under the new ones).
        let restarting = credentials != ice.localCredentials
        let transport = TransportParameters(
            iceUfrag: credentials.ufrag, icePwd: credentials.password, iceOptions: ["trickle"],
            fingerprints: [certificate.fingerprint], setup: setup)
        var section = MediaDescription.dataChannel(
            mid: mid, transport: transport, sctpPort: 5000, maxMessageSize: UInt64(configuration.maxMessageSize))
        for candidate in ice.localCandidates where !restarting {
            section.addCandidate(candidate.attribute)
        }
        if ice.gatheringState == .complete && !restarting { section.attributes.append(.endOfCandidates) }
        var media = [section]
        if let offer {
            // Reject (port 0) every m-section we do not support, keeping their order (RFC 8829 §5.3.1).
            media = offer.media.enumerated().map { index, m in
                if index == dataMediaIndex(in: offer) { return section }
                var rejected = MediaDescription(kind: m.kind, port: 0, proto: m.proto, formats: m.formats)
                if let mid = m.mid { rejected.attributes.append(.mid(mid)) }
                return rejected
            }
        }
        return SDPDocument.jsep(sessionID: sessionID, sessionVersion: sessionVersionCounter, media: media)
    }

    func dataMediaIndex(in description: SDPDocument) -> Int? {
        description.media.firstIndex { $0.isDataChannel && $0.port != 0 }
    }
}
