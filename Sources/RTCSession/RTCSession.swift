import DequeModule
import NIOCore
import RTCCore
import RTCDTLS
import RTCDataChannel
import RTCICE
import RTCRTPStreams
import RTCSCTP
import RTCSDP
import RTCSRTP

/// One peer connection's protocol engine, sans-IO: ICE, DTLS, SCTP and data channels behind
/// JSEP, driven by datagrams and time.
///
/// The contract is every core's (`SansIOCore`, as a `DatagramCore`): feed it with
/// `handle(_:now:)`, `handleTimeout(now:)` and the API calls; after each, drain `pollTransmit()`
/// and `pollEvent()` until `nil`, and call `handleTimeout` at `nextDeadline`. It never reads a
/// clock, opens a socket or starts a task.
///
/// Layering: datagrams go to ICE; what ICE passes up from the selected pair is DTLS or SRTP
/// (RFC 7983); DTLS application data is SCTP (RFC 8261); SCTP messages are data channels; SRTP
/// keys come from the DTLS exporter (RFC 5764) and SRTP carries the audio/video transceivers'
/// RTP and RTCP on the same BUNDLE transport (RFC 8843).
public struct RTCSession: DatagramCore {
    var configuration: SessionConfiguration
    let certificate: DTLSCertificate
    var ice: ICEAgent
    /// The DTLS connection, once `dtlsPhase` has left `.waiting`.
    var dtls: DTLSConnection?
    /// Where DTLS is in its life (one phase instead of a flag per fact; testing `dtls` itself
    /// would copy the connection).
    var dtlsPhase = DTLSPhase.waiting
    /// Why DTLS failed, once it has (the typed error's description, or the peer's close
    /// during the handshake): what the API tells its user instead of a bare "failed".
    public internal(set) var dtlsFailureReason: String?
    var channels: DataChannelManager
    var signaling = SignalingStateMachine()
    let sessionID: UInt64
    /// The `o=` version of the applied local description (RFC 8829 §5.2.2: each new one grows it).
    var localVersion: UInt64?
    /// The data m-section's mid.
    var mid = "0"
    var localType: SessionDescriptionType?
    var localSetup: SetupRole?
    /// The applied local description, without candidates (`localDescription` adds the current ones).
    /// Set with ``setLocalSDP(_:)``, which keeps ``localJSEP`` with it.
    private(set) var localSDP: SDPDocument?
    /// ``localSDP`` read for JSEP, once per description (the negotiation checks read it several
    /// times per exchange; reading it again each time was a tenth of an exchange's CPU).
    private(set) var localJSEP: Result<JSEPDescription, JSEPError>?
    /// The last offer or answer created, as text and as the document it was serialized from:
    /// `setLocalDescription` with that same text takes the document instead of parsing it again.
    var lastCreated: (sdp: String, document: SDPDocument)?
    /// The local description when signaling was last stable (what a rollback restores).
    var stableLocal: (type: SessionDescriptionType, setup: SetupRole, sdp: SDPDocument)?
    /// Whether the last completed negotiation kept a data section (`nil` before one).
    var dataNegotiated: Bool?
    // Media (RTCSession+Media*.swift).
    var transceivers: [SessionTransceiver] = []
    var nextTransceiverHandle = 1
    var transceiverByMid: [String: Int] = [:]
    var demux: BundleDemuxTable?
    var srtpOut: SRTPContext?
    var srtcpOut: SRTCPContext?
    var srtpIn: SRTPContext?
    var srtcpIn: SRTCPContext?
    var transportSequencer = TransportWideSequencer()
    var twccFeedback: TransportWideCCFeedbackGenerator?
    var twccReceiveExtensionID: UInt8?
    var sendSideEstimation: SessionSendSideEstimation?
    var anchoredNTPClock: NTPClock?
    var negotiationNeededReported = false
    /// The RTCP CNAME of every stream we send (RFC 7022: random per session).
    let cname: String
    var capabilities: JSEPCapabilities { configuration.mediaCapabilities }
    /// The applied remote description; set with ``setRemoteSDP(_:typed:)``.
    private(set) var remoteSDP: SDPDocument?
    /// ``remoteSDP`` read for JSEP.
    private(set) var remoteJSEP: Result<JSEPDescription, JSEPError>?
    var remoteDescriptionText: SessionDescription?
    var remoteFingerprints: [CertificateFingerprint] = []
    var remoteMaxMessageSize = 65_536
    var dtlsRole: DTLSRole?
    var pendingDTLS: [ByteBuffer] = []
    /// DTLS handshake datagrams from the peer that came before our DTLS connection could exist (an
    /// answerer's ClientHello sent on a valid pair, RFC 8445 §12.1, before its answer reached
    /// us): handled as soon as the connection is created, instead of waiting for the peer's
    /// retransmission. At most ``earlyDTLSLimit``.
    var earlyDTLS: [ByteBuffer] = []
    /// The DTLS client's key share is to be made ahead (``runDeferredWork(now:)``).
    var keySharePending = false
    static let earlyDTLSLimit = 8
    /// Our ClientHello went out before ICE selected a pair: on selection it is sent again if
    /// the server has not answered (a peer may drop DTLS that comes before its own ICE is done).
    var clientHelloBeforeSelection = false
    /// SCTP started before the DTLS handshake completed (our Finished was out: False Start).
    var sctpStartedEarly = false
    var transmits = Deque<Transmit>()
    var events = Deque<SessionEvent>()
    /// `true` once ``close(now:)`` ran: every command then throws `SessionError.closed`.
    public internal(set) var isClosed = false
    var iceState: ICEConnectionState = .new
    /// The aggregate state as last reported (`connectionStateChanged`).
    public internal(set) var connectionState: PeerConnectionState = .new
    var rng: any RandomNumberGenerator & Sendable
    let iceCredentials: ICECredentials
    var iceStarted = false
    /// Credentials `restartICE(now:)` chose for the next local offer (RFC 8445 §9); the agent
    /// takes them when that offer is applied locally.
    var pendingICECredentials: ICECredentials?
    /// The credentials before a local offer restarted ICE, restored if that offer is rolled back.
    var credentialsBeforeRestart: (local: ICECredentials, remote: ICECredentials)?
    /// The edge's current addresses, for the next ICE restart (RTCSession+Restart.swift).
    var localAddressesForRestart: [TransportAddress]?
    /// Candidates trickled before the remote description, applied with it (RFC 8838 §11.4).
    var pendingRemoteCandidates: [(ICECandidateInit, ICECandidateAttribute?)] = []
    /// How many early candidates are kept; a peer sending more before its description is misbehaving.
    static let maxPendingRemoteCandidates = 100
    /// Counters for `stats()`.
    public internal(set) var statistics = SessionStatistics()
    /// Per-data-channel counters for `statisticsSnapshot` (RTCSession+Stats).
    var statisticsCounters = SessionStatisticsCounters()

    /// Creates a session with a DTLS certificate (generate one with
    /// `DTLSCertificate.generateSelfSigned(now:)`; its fingerprint goes into every description).
    /// `rng` supplies the session id, ICE credentials, tie-breaker and transaction ids and the
    /// SCTP initial values: the system CSPRNG by default; tests pass a `SeededRandom`.
    public init(configuration: SessionConfiguration = SessionConfiguration(), certificate: DTLSCertificate,
                rng: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        var generator: any RandomNumberGenerator & Sendable = rng
        self.configuration = configuration
        self.certificate = certificate
        self.sessionID = generator.next() >> 2
        let credentials = ICECredentials.random(using: &generator)
        self.ice = RTCSession.makeAgent(configuration, credentials: credentials, role: .controlling,
                                        rng: RTCSession.child(of: &generator))
        self.channels = RTCSession.makeDataChannels(configuration, rng: RTCSession.child(of: &generator))
        self.iceCredentials = credentials
        self.cname = ICECredentials.random(using: &generator).password
        self.rng = generator
    }

    /// A generator for one core: the system CSPRNG stays the system CSPRNG; any other generator
    /// (a `SeededRandom` in tests) seeds an independent stream, so cores never replay each
    /// other's numbers.
    static func child(of generator: inout any RandomNumberGenerator & Sendable) -> any RandomNumberGenerator & Sendable {
        if generator is SystemRandomNumberGenerator { return generator }
        return SeededRandom(seed: generator.next())
    }

    /// Sets the local description and its JSEP reading.
    mutating func setLocalSDP(_ document: SDPDocument?) {
        localSDP = document
        localJSEP = document.map(JSEPDescription.reading)
    }

    /// Sets the remote description with its JSEP reading (already made to check it).
    mutating func setRemoteSDP(_ document: SDPDocument, typed: JSEPDescription) {
        remoteSDP = document
        remoteJSEP = .success(typed)
    }

    /// The signaling state.
    public var signalingState: SignalingState { signaling.state }
    /// Candidate gathering progress, as the ICE agent knows it (the event reporting a change
    /// may still be queued).
    public var iceGatheringState: ICEGatheringState { ice.gatheringState }

    // MARK: Descriptions

    /// Applies our own offer or answer. An answer (or, for the offerer, the peer's answer)
    /// completes a negotiation: media streams start, change or stop as it says.
    public mutating func setLocalDescription(_ description: SessionDescription, now: NIODeadline) throws(SessionError) {
        guard !isClosed else { throw .closed }
        if description.type == .rollback {
            // A rollback carries no SDP (RFC 8829 §4.1.8.2): back to the last stable local description.
            do { try signaling.apply(.local, .rollback) } catch { throw .invalidSignalingState(error) }
            events.append(.signalingStateChanged(signaling.state))
            localType = stableLocal?.type
            localSetup = stableLocal?.setup
            setLocalSDP(stableLocal?.sdp)
            // Mids the rolled-back offer gave out are free again (W3C webrtc-pc §4.4.1.6).
            let kept = Set(localSDP?.media.compactMap(\.mid) ?? [])
            for i in transceivers.indices where transceivers[i].mid.map({ !kept.contains($0) }) ?? false {
                transceivers[i].mid = nil
            }
            undoLocalRestart(now: now)
            pump(now: now)
            updateNegotiationNeeded()
            return
        }
        var parsed: SDPDocument
        if let created = lastCreated, created.sdp == description.sdp {
            parsed = created.document
            // Debug builds (every test) check that parsing the text gives the same document.
            assert((try? SDPDocument(parsing: description.sdp)) == parsed, "a created description does not parse back to itself")
        } else {
            do { parsed = try SDPDocument(parsing: description.sdp) } catch { throw .invalidSDP("\(error)") }
        }
        lastCreated = nil
        guard let index = Self.transportMediaIndex(in: parsed) else {
            throw .incompatibleDescription("every m-section is rejected: nothing to connect")
        }
        let setup = parsed.setup(forMediaAt: index) ?? .actpass
        do { try signaling.apply(.local, description.type) } catch { throw .invalidSignalingState(error) }
        events.append(.signalingStateChanged(signaling.state))
        localType = description.type
        localSetup = setup
        // Candidates are added when the description is read back, so keep it without them.
        for m in parsed.media.indices {
            parsed.media[m].attributes.removeAll {
                if case .candidate = $0 { return true }
                return $0 == .endOfCandidates
            }
        }
        setLocalSDP(parsed)
        localVersion = parsed.origin.sessionVersion
        if signaling.state == .stable { stableLocal = (description.type, setup, parsed) }
        applyLocalCredentials(of: parsed, offer: description.type == .offer, now: now)
        if description.type == .answer || description.type == .pranswer {
            dtlsRole = setup == .active ? .client : .server
            startTransportIfReady(now: now)
        }
        if signaling.state == .stable { applyNegotiation(now: now) }
        pump(now: now)
        updateNegotiationNeeded()
    }

    /// Applies the peer's offer or answer: ICE credentials and candidates, the DTLS fingerprint
    /// and role, the peer's max-message-size, and its audio/video sections (transceivers for
    /// new mids, remote tracks starting or ending).
    public mutating func setRemoteDescription(_ description: SessionDescription, now: NIODeadline) throws(SessionError) {
        guard !isClosed else { throw .closed }
        if description.type == .rollback {
            do { try signaling.apply(.remote, .rollback) } catch { throw .invalidSignalingState(error) }
            events.append(.signalingStateChanged(signaling.state))
            return
        }
        let parsed: SDPDocument
        do { parsed = try SDPDocument(parsing: description.sdp) } catch { throw .invalidSDP("\(error)") }
        let typed: JSEPDescription
        do { typed = try JSEPDescription(parsed) } catch { throw .incompatibleDescription("\(error)") }
        guard let index = Self.transportMediaIndex(in: parsed) else {
            throw .incompatibleDescription("every m-section is rejected: nothing to connect")
        }
        guard let ufrag = parsed.iceUfrag(forMediaAt: index), let pwd = parsed.icePwd(forMediaAt: index) else {
            throw .incompatibleDescription("the m-section in use has no a=ice-ufrag/a=ice-pwd")
        }
        let fingerprints = parsed.fingerprints(forMediaAt: index)
        guard !fingerprints.isEmpty else { throw .incompatibleDescription("the m-section in use has no a=fingerprint") }
        let remoteSetup = parsed.setup(forMediaAt: index)
        if description.type == .answer || description.type == .pranswer {
            guard let remoteSetup, remoteSetup != .actpass else {
                throw .incompatibleDescription("an answer must say a=setup:active or a=setup:passive")
            }
        }
        do { try signaling.apply(.remote, description.type) } catch { throw .invalidSignalingState(error) }
        events.append(.signalingStateChanged(signaling.state))
        if signaling.state == .stable, let localType, let localSetup, let localSDP { stableLocal = (localType, localSetup, localSDP) }
        if signaling.state == .stable { credentialsBeforeRestart = nil }
        setRemoteSDP(parsed, typed: typed)
        remoteDescriptionText = description
        if let dataIndex = dataMediaIndex(in: parsed) {
            if let remoteMid = parsed.media[dataIndex].mid { mid = remoteMid }
            if let size = parsed.media[dataIndex].maxMessageSize {
                remoteMaxMessageSize = size == 0 ? Int.max : Int(clamping: size)
            }
        } else if description.type == .offer, transceivers.contains(where: { $0.mid == mid }) || parsed.media.contains(where: { $0.mid == mid }) {
            // The offer has no data section and uses our data mid for media: pick a free one
            // in case we add data later.
            var n = 0
            let used = Set(parsed.media.compactMap(\.mid) + transceivers.compactMap(\.mid))
            while used.contains(String(n)) { n += 1 }
            mid = String(n)
        }
        remoteFingerprints = fingerprints
        channels.setRemoteMaxMessageSize(remoteMaxMessageSize)
        if description.type == .offer {
            setICERole(parsed.isICELite ? .controlling : .controlled)
        } else {
            dtlsRole = remoteSetup == .active ? .server : .client
        }
        applyRemoteCredentials(ICECredentials(ufrag: ufrag, password: pwd), offer: description.type == .offer, now: now)
        for (_, mLine, attribute) in parsed.allCandidates where mLine == index {
            addCandidate(attribute, now: now)
        }
        if parsed.media[index].hasEndOfCandidates { ice.endOfRemoteCandidates(now: now) }
        // Candidates that beat the description through signaling, unless they belong to
        // other ICE credentials (RFC 8838 §11.4: a ufrag names the generation).
        let early = pendingRemoteCandidates
        pendingRemoteCandidates.removeAll()
        for (candidate, parsed) in early where candidate.usernameFragment.map({ $0 == ufrag }) ?? true {
            applyRemoteCandidate(parsed, now: now)
        }
        applyRemoteMedia(typed, isOffer: description.type == .offer, now: now)
        if signaling.state == .stable { applyNegotiation(now: now) }
        startTransportIfReady(now: now)
        pump(now: now)
        updateNegotiationNeeded()
    }

    /// Adds a candidate the peer trickled (RFC 8838 §11.4). An empty candidate means
    /// end-of-candidates. A candidate that arrives before the remote description (signaling
    /// may deliver it first) is kept and applied with that description. TCP candidates and
    /// mDNS `.local` names (which this stack does not resolve) are accepted and ignored,
    /// counted in `statistics.remoteCandidatesIgnored`: a peer hiding its address behind mDNS
    /// is still reached once its checks arrive (a peer-reflexive candidate, RFC 8445 §7.3.1.3).
    /// Throws `invalidCandidate` only for text that is no candidate at all.
    public mutating func addRemoteCandidate(_ candidate: ICECandidateInit, now: NIODeadline) throws(SessionError) {
        guard !isClosed else { throw .closed }
        // Parsed once, here; `nil` is end-of-candidates.
        var parsed: ICECandidateAttribute?
        if !candidate.isEndOfCandidates {
            do { parsed = try ICECandidateAttribute(parsing: candidate.candidate) } catch { throw .invalidCandidate("\(error)") }
        }
        // A candidate of another ICE generation than the current remote one (RFC 8838 §11.4)
        // waits for the description that brings its credentials (an ICE restart in flight).
        let otherGeneration = candidate.usernameFragment.map { $0 != ice.remoteCredentials?.ufrag } ?? false
        guard remoteSDP != nil, !otherGeneration else {
            if pendingRemoteCandidates.count < Self.maxPendingRemoteCandidates {
                pendingRemoteCandidates.append((candidate, parsed))
            } else {
                statistics.remoteCandidatesIgnored += 1
            }
            return
        }
        applyRemoteCandidate(parsed, now: now)
        pump(now: now)
    }

    private mutating func applyRemoteCandidate(_ parsed: ICECandidateAttribute?, now: NIODeadline) {
        if let parsed {
            addCandidate(parsed, now: now)
        } else {
            ice.endOfRemoteCandidates(now: now)
        }
    }

    private mutating func addCandidate(_ parsed: ICECandidateAttribute, now: NIODeadline) {
        guard parsed.isUDP, !parsed.isMDNS, let candidate = try? ICECandidate(parsed), ice.addRemoteCandidate(candidate, now: now) else {
            statistics.remoteCandidatesIgnored += 1
            return
        }
    }

    /// Gives the session the local addresses the edge has bound sockets on; they become host
    /// candidates and gathering starts (server-reflexive ones follow from STUN servers).
    public mutating func addLocalAddresses(_ addresses: [TransportAddress], now: NIODeadline) {
        iceStarted = true
        ice.startGathering(localAddresses: addresses, now: now)
        pump(now: now)
    }

    // MARK: Data channels

    /// Creates a data channel and returns its handle; its stream id follows the DTLS role once
    /// SCTP is up (RFC 8832 §6). It opens then (and, unless negotiated, once the peer's
    /// DATA_CHANNEL_ACK arrived).
    public mutating func createDataChannel(label: String, options: DataChannelOptions, now: NIODeadline) throws(SessionError) -> Int {
        guard !isClosed else { throw .closed }
        let handle: Int
        do { handle = try channels.createChannel(label: label, options: options, now: now) } catch { throw SessionError(error, handle: 0) }
        statisticsCounters.created(handle, label: label, options: options)
        pump(now: now)
        return handle
    }

    /// The SCTP stream id of a channel, once assigned.
    public func streamID(of handle: Int) -> UInt16? { channels.streamID(of: handle) }

    /// Queues a message on an open channel.
    public mutating func send(_ message: DataChannelMessage, on handle: Int, now: NIODeadline) throws(SessionError) {
        guard !isClosed else { throw .closed }
        do { try channels.send(message, on: handle, now: now) } catch { throw SessionError(error, handle: handle) }
        statistics.messagesSent += 1
        statisticsCounters.sent(bytes: message.byteCount, on: handle)
        pump(now: now)
    }

    /// Queues a binary message held in a buffer, without copying it (RFC 8831 §6.6, PPID binary).
    public mutating func send(binary buffer: ByteBuffer, on handle: Int, now: NIODeadline) throws(SessionError) {
        guard !isClosed else { throw .closed }
        do { try channels.sendBinary(buffer, on: handle, now: now) } catch { throw SessionError(error, handle: handle) }
        statistics.messagesSent += 1
        statisticsCounters.sent(bytes: buffer.readableBytes, on: handle)
        pump(now: now)
    }

    /// Bytes queued on a channel and not yet acknowledged.
    public func bufferedAmount(of handle: Int) -> Int { channels.bufferedAmount(of: handle) }

    /// Starts closing a channel (its stream is reset, RFC 8831 §6.7).
    public mutating func closeDataChannel(_ handle: Int, now: NIODeadline) {
        channels.close(handle, now: now)
        pump(now: now)
    }

    // MARK: I/O

    /// Feeds a datagram that arrived on one of our sockets.
    public mutating func handle(_ datagram: ReceivedDatagram, now: NIODeadline) {
        guard !isClosed else { return }
        if !earlyDTLS.isEmpty, dtlsPhase != .waiting { handleEarlyDTLS(now: now) }
        statistics.datagramsReceived += 1
        statistics.bytesReceived += datagram.payload.readableBytes
        // TURN: the server's responses stay in ICE; what a peer sent through the relay comes
        // back as a datagram from the peer (unchanged when no TURN server is configured).
        guard let datagram = ice.unwrapRelayed(datagram, now: now) else { pump(now: now); return }
        // RFC 7983 demultiplexing: STUN is ICE's; the rest must come from the peer ICE knows.
        switch PacketKind(firstByte: datagram.payload.getInteger(at: datagram.payload.readerIndex) ?? 0) {
        case .stun:
            ice.handle(datagram, now: now)
        case .dtls where ice.acceptsApplicationData(from: datagram.source):
            ice.countApplicationData(from: datagram.source, to: datagram.destination, bytes: datagram.payload.readableBytes, now: now)
            if dtlsPhase == .waiting { startTransportIfReady(now: now) }
            if dtls?.handle(datagram.payload, now: now) == nil {
                // Only handshake records (content type 22, the ClientHello): an alert from a peer
                // that gave up before our answer (close_notify) stays dropped, as it was.
                if dtlsPhase == .waiting, earlyDTLS.count < Self.earlyDTLSLimit,
                   datagram.payload.getInteger(at: datagram.payload.readerIndex, as: UInt8.self) == 22 {
                    earlyDTLS.append(datagram.payload)
                } else {
                    statistics.datagramsDropped += 1
                }
            }
        case .rtpOrRTCP where ice.acceptsApplicationData(from: datagram.source):
            ice.countApplicationData(from: datagram.source, to: datagram.destination, bytes: datagram.payload.readableBytes, now: now)
            handleMedia(datagram.payload, now: now)
        default:
            statistics.datagramsDropped += 1  // an unknown source, or a kind nothing here speaks
        }
        pump(now: now)
    }

    /// Runs whatever timers are due.
    public mutating func handleTimeout(now: NIODeadline) {
        guard !isClosed else { return }
        if !earlyDTLS.isEmpty, dtlsPhase != .waiting { handleEarlyDTLS(now: now) }
        ice.handleTimeout(now: now)
        dtls?.handleTimeout(now: now)
        channels.handleTimeout(now: now)
        handleMediaTimeout(now: now)
        pump(now: now)
    }

    /// The edge's stream connection to a TURN server over TCP/TLS could not be opened, failed
    /// or closed: ICE fails that relay at once (RTCICE `ICEAgent.streamClosed`).
    public mutating func streamClosed(local: TransportAddress, remote: TransportAddress, reason: String, now: NIODeadline) {
        guard !isClosed else { return }
        ice.streamClosed(local: local, remote: remote, reason: reason, now: now)
        pump(now: now)
    }

    /// The next datagram to send, or `nil`.
    public mutating func pollTransmit() -> Transmit? {
        guard let t = transmits.popFirst() else { return nil }
        statistics.datagramsSent += 1
        statistics.bytesSent += t.payload.readableBytes
        return t
    }

    /// The next event, or `nil`.
    public mutating func pollEvent() -> SessionEvent? { events.popFirst() }

    /// When `handleTimeout` must be called next.
    public var nextDeadline: NIODeadline? {
        // Without an array: this runs after every datagram burst and every send.
        var earliest = ice.nextDeadline
        func consider(_ d: NIODeadline?) { if let d, earliest.map({ d < $0 }) ?? true { earliest = d } }
        // Only a handshake has DTLS timers (its flights' retransmissions and overall limit); once
        // connected, closed or failed a connection never has one again. Reading it copies the
        // whole connection out of the optional, once per datagram and per send.
        if dtlsPhase == .created || dtlsPhase == .handshaking { consider(dtls?.nextDeadline) }
        consider(channels.nextDeadline)
        consider(mediaDeadline)
        return earliest
    }

    /// Closes everything: channels close, SCTP aborts politely (SHUTDOWN is not waited for),
    /// DTLS sends close_notify, ICE stops.
    public mutating func close(now: NIODeadline) {
        guard !isClosed else { return }
        for i in transceivers.indices {
            stopSending(i, now: now)  // RTCP BYE (RFC 3550 §6.6)
            endRemoteTrack(i)
        }
        channels.closeAll(now: now)
        channels.abort(now: now)
        pump(now: now)
        dtls?.close(now: now)
        pump(now: now)
        ice.close()
        while let t = ice.pollTransmit() { transmits.append(t) }  // TURN deallocations
        isClosed = true
        signaling.close()
        setConnectionState(.closed)
    }
}
