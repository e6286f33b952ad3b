import NIOCore
import RTCCore
import RTCDTLS
import RTCICE
import RTCSDP

extension RTCSession {
    // MARK: Offer / answer (RFC 8829 §5.2, §5.3)

    /// Creates an offer (RFC 8829 §5.2.1, §5.2.2): the audio/video transceivers and the
    /// data-channel m-section in one BUNDLE group, our ICE credentials, `a=setup:actpass`, our
    /// certificate fingerprint, `a=sctp-port:5000`, `max-message-size`, `ice-options:trickle`,
    /// and the candidates gathered so far. A later offer keeps the m-lines of the current
    /// description in their order, their payload types and extension ids, and appends new ones;
    /// its `o=` version is one more than the last local description's.
    public mutating func createOffer() throws(SessionError) -> SessionDescription {
        guard !isClosed else { throw .closed }
        assignMids()
        let credentials = pendingICECredentials ?? ice.localCredentials
        let transport = transportParameters(setup: .actpass, credentials: credentials)
        let document: SDPDocument
        do {
            document = try JSEP.offer(sections: offerSections(), transport: transport, capabilities: capabilities,
                                      sessionID: sessionID, previousVersion: localVersion)
        } catch {
            throw .incompatibleDescription("\(error)")
        }
        return created(.offer, withCandidates(document, credentials: credentials))
    }

    /// Creates an answer to the remote offer (RFC 8829 §5.3.1): one m-section per offered one,
    /// accepting the audio/video sections whose codecs we share (keeping the offerer's payload
    /// types) and the data section, rejecting the rest with port 0. We answer `a=setup:active`
    /// (we become the DTLS client) unless the offer insists on `active`, then `passive`.
    public mutating func createAnswer() throws(SessionError) -> SessionDescription {
        guard !isClosed else { throw .closed }
        guard signaling.state == .haveRemoteOffer || signaling.state == .haveLocalPranswer, let remote = remoteSDP else {
            throw .noRemoteOffer
        }
        let remoteSetup = Self.transportMediaIndex(in: remote).flatMap { remote.setup(forMediaAt: $0) } ?? .actpass
        var setup: SetupRole = remoteSetup == .active ? .passive : .active
        if dtls != nil, let dtlsRole {
            // A re-offer on an established DTLS association: keep our role (RFC 8842 §5.5);
            // browsers refuse an answer that would reverse it.
            setup = dtlsRole == .client ? .active : .passive
        }
        let transport = transportParameters(setup: setup, credentials: ice.localCredentials)
        let options = JSEPAnswerOptions(acceptsData: true, sctpPort: 5000, maxMessageSize: UInt64(configuration.maxMessageSize),
                                        defaultDirection: .recvonly, acceptsSimulcast: configuration.acceptsSimulcast)
        let answer: JSEPAnswer
        do {
            answer = try JSEP.answer(to: remote, transceivers: transceivers.map { $0.jsepTransceiver(capabilities: capabilities, cname: cname) },
                                     transport: transport, capabilities: capabilities, options: options,
                                     sessionID: sessionID, previousVersion: localVersion)
        } catch {
            throw .incompatibleDescription("\(error)")
        }
        return created(.answer, withCandidates(answer.description, credentials: ice.localCredentials))
    }

    /// The description handed to the application, remembered with its document (`lastCreated`).
    private mutating func created(_ type: SessionDescriptionType, _ document: SDPDocument) -> SessionDescription {
        let sdp = document.serialized()
        lastCreated = (sdp, document)
        return SessionDescription(type: type, sdp: sdp)
    }

    /// The description applied locally, with every candidate gathered since (what a
    /// non-trickling peer needs after gathering completes).
    public var localDescription: SessionDescription? {
        guard let type = localType, let localSDP else { return nil }
        return SessionDescription(type: type, sdp: withCandidates(localSDP, credentials: ice.localCredentials).serialized())
    }

    /// The remote description applied last.
    public var remoteDescription: SessionDescription? { remoteDescriptionText }

    /// The `a=mid` of the data m-section (`"0"` unless the peer's offer chose another).
    public var dataMid: String { mid }

    /// The mid that names the BUNDLE transport (the first m-section in use of the local
    /// description, else of the remote offer): the `sdpMid` our candidates belong to.
    public var transportMid: String {
        Self.transportMid(local: localSDP, remote: remoteSDP, fallback: mid)
    }

    /// ``transportMid`` from its parts: a mutating method that reads the computed property
    /// made a copy of the whole session for the call.
    static func transportMid(local: SDPDocument?, remote: SDPDocument?, fallback: String) -> String {
        if let local, let index = Self.transportMediaIndex(in: local), let mid = local.media[index].mid { return mid }
        if let remote, let index = Self.transportMediaIndex(in: remote), let mid = remote.media[index].mid { return mid }
        return fallback
    }

    func transportParameters(setup: SetupRole, credentials: ICECredentials) -> TransportParameters {
        TransportParameters(iceUfrag: credentials.ufrag, icePwd: credentials.password, iceOptions: ["trickle"],
                            fingerprints: [certificate.fingerprint], setup: setup)
    }

    /// `document` with our candidates (and end-of-candidates once gathering completed) in its
    /// first m-section in use. Candidates belong to the agent's credentials: an offer that
    /// restarts ICE carries none (they are gathered again under the new ones).
    func withCandidates(_ document: SDPDocument, credentials: ICECredentials) -> SDPDocument {
        guard credentials == ice.localCredentials, let index = Self.transportMediaIndex(in: document) else { return document }
        var document = document
        for candidate in ice.localCandidates {
            document.media[index].addCandidate(candidate.attribute)
        }
        if ice.gatheringState == .complete { document.media[index].attributes.append(.endOfCandidates) }
        return document
    }

    /// The sections of our next offer: those of the current local description in their m-line
    /// order (RFC 8829 §5.2.2), then new transceivers, then the data section if it is new.
    func offerSections() -> [JSEPLocalSection] {
        var sections: [JSEPLocalSection] = []
        var placed: Set<String> = []
        let order = localSDP.map { $0.media.compactMap(\.mid) } ?? []
        for m in order {
            if let t = transceivers.first(where: { $0.mid == m }) {
                sections.append(.media(t.jsepTransceiver(capabilities: capabilities, cname: cname)))
                placed.insert(m)
            } else if m == mid, offersData {
                sections.append(.data(dataSection))
                placed.insert(m)
            }
        }
        if offersData, !placed.contains(mid) {
            // Our first offer puts the data section first (mid "0"), as before media existed.
            if localSDP == nil { sections.insert(.data(dataSection), at: 0) } else { sections.append(.data(dataSection)) }
            placed.insert(mid)
        }
        for t in transceivers where !placed.contains(t.mid ?? "") && !(t.isStopped && t.currentDirection == nil) {
            sections.append(.media(t.jsepTransceiver(capabilities: capabilities, cname: cname)))
        }
        return sections
    }

    var dataSection: JSEPDataSection {
        JSEPDataSection(mid: mid, sctpPort: 5000, maxMessageSize: UInt64(configuration.maxMessageSize))
    }

    /// Whether our offers carry a data section: always, unless a negotiation settled without
    /// one and no channel was created since (W3C webrtc-pc §4.4.1.6 only adds it for a channel).
    var offersData: Bool { dataNegotiated != false || !channels.handles.isEmpty }

    /// Gives every transceiver that has none a mid (RFC 8829 §5.2.1): the smallest number not
    /// used by another section, the data section included.
    mutating func assignMids() {
        var used = Set(transceivers.compactMap(\.mid))
        used.insert(mid)
        for m in localSDP?.media.compactMap(\.mid) ?? [] { used.insert(m) }
        for m in remoteSDP?.media.compactMap(\.mid) ?? [] { used.insert(m) }
        var next = 0
        for i in transceivers.indices where transceivers[i].mid == nil && !transceivers[i].isStopped {
            while used.contains(String(next)) { next += 1 }
            transceivers[i].mid = String(next)
            used.insert(String(next))
        }
    }

    /// The index of the data m-section in use, if any.
    func dataMediaIndex(in description: SDPDocument) -> Int? {
        description.media.firstIndex { $0.isDataChannel && $0.port != 0 }
    }

    /// The m-section that carries the BUNDLE transport's ICE and DTLS attributes: the first
    /// one in use (port not 0, or bundle-only). Static: an instance method called from a
    /// mutating one may copy the whole session for the call.
    static func transportMediaIndex(in description: SDPDocument) -> Int? {
        description.media.firstIndex { $0.port != 0 || $0.attributes.contains(.other(name: "bundle-only", value: nil)) }
    }
}
