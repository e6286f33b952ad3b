import NIOCore
import RTCCore
import RTCDTLS
import RTCICE

extension RTCSession {
    static func makeAgent(_ configuration: SessionConfiguration, credentials: ICECredentials, role: ICERole,
                          rng: any RandomNumberGenerator & Sendable) -> ICEAgent {
        var iceConfiguration = ICEConfiguration()
        iceConfiguration.stunServers = configuration.stunServers
        iceConfiguration.relayServers = configuration.turnServers
        iceConfiguration.relayOnly = configuration.relayOnly
        iceConfiguration.includeLoopback = configuration.includeLoopback
        iceConfiguration.localCredentials = credentials
        return ICEAgent(configuration: iceConfiguration, role: role, rng: rng)
    }

    /// The ICE role follows the offer (RFC 8445 §6.1.1): the offerer controls. It is set while
    /// gathering has not started.
    mutating func setICERole(_ role: ICERole) {
        guard ice.role != role, !iceStarted else { return }
        ice.setInitialRole(role)
    }

    /// Creates the DTLS connection once the role and the peer's fingerprint are known, and
    /// starts the handshake when we are the client and ICE has a selected pair.
    mutating func startTransportIfReady(now: NIODeadline) {
        guard let role = dtlsRole, !remoteFingerprints.isEmpty else { return }
        if dtlsPhase == .waiting {
            var dtlsConfiguration = DTLSConfiguration(certificate: certificate, verification: .fingerprints(remoteFingerprints))
            dtlsConfiguration.mtu = configuration.dtlsMTU
            // No HelloVerifyRequest round trip: our DTLS replies only ever go to a pair whose
            // address answered our authenticated connectivity check (a valid or selected one),
            // so the cookie's protection against amplification is already given (RFC 6347
            // §4.2.1 lets a server skip the exchange where amplification is not a problem).
            dtlsConfiguration.cookieExchange = false
            dtls = DTLSConnection(role: role, configuration: dtlsConfiguration, rng: RTCSession.child(of: &rng))
            dtlsPhase = .created
            // A ClientHello that came before our answer: with no valid pair yet, the reply
            // could not leave before our first check succeeds anyway. Making it (key share and
            // signature) is left for runDeferredWork, so that the checks this call queues go
            // out first and the flight is made while they are on the wire.
            if ice.canSendApplicationData { handleEarlyDTLS(now: now) }
        }
        // On a valid pair already, before selection (RFC 8445 §12.1): the answerer's first
        // check usually succeeds before its answer even reaches the offerer, so the handshake
        // runs while the offerer's own checks and nomination are still going on.
        if role == .client, dtlsPhase == .created, ice.canSendApplicationData {
            dtlsPhase = .handshaking
            clientHelloBeforeSelection = ice.selectedPair == nil
            dtls!.startHandshake(now: now)
            keySharePending = true  // made by runDeferredWork, once the ClientHello is out
        }
    }

    /// Hands the DTLS datagrams kept from before the connection existed to it, in order.
    mutating func handleEarlyDTLS(now: NIODeadline) {
        guard !earlyDTLS.isEmpty, dtlsPhase != .waiting else { return }
        for datagram in earlyDTLS { dtls?.handle(datagram, now: now) }
        earlyDTLS.removeAll()
    }

    /// Runs the work put off by ``startTransportIfReady(now:)`` (the early ClientHello's reply),
    /// once the edge has written what was queued; ``handle(_:now:)`` and
    /// ``handleTimeout(now:)`` run it first too, so it is never left behind.
    /// The DTLS client's key share is made there too, once its ClientHello is out.
    public mutating func runDeferredWork(now: NIODeadline) -> Bool {
        guard !isClosed else { return false }
        if keySharePending {
            keySharePending = false
            dtls?.prepareKeyShare()
        }
        guard !earlyDTLS.isEmpty, dtlsPhase != .waiting else { return false }
        handleEarlyDTLS(now: now)
        pump(now: now)
        return true
    }

    /// Moves data between the layers until none has anything left to say.
    mutating func pump(now: NIODeadline) {
        var progress = true
        while progress {
            progress = false
            while let event = ice.pollEvent() {
                progress = true
                handleICE(event, now: now)
            }
            // Optional chaining, not `dtls != nil`: comparing the optional copies the whole
            // connection state, once per datagram.
            do {
                while let event = dtls?.pollEvent() {
                    progress = true
                    handleDTLS(event, now: now)
                }
                if dtlsPhase == .handshaking, !sctpStartedEarly, dtls?.canSendApplicationData == true {
                    // Our Finished is out (DTLS client, False Start, RFC 7918): SCTP's INIT
                    // goes now, right behind it, not a round trip later once the server's
                    // Finished is in; the server reads it after our Finished. If it dropped
                    // it, the INIT goes again soon after the handshake completes.
                    sctpStartedEarly = true
                    progress = true
                    channels.start(role: .dtlsClient, now: now)
                }
                if dtlsPhase == .connected || (sctpStartedEarly && dtlsPhase == .handshaking) {
                    while let packet = channels.pollTransmit() {
                        progress = true
                        do { try dtls?.send(applicationData: packet, now: now) } catch { statistics.datagramsDropped += 1 }
                    }
                }
                while let datagram = dtls?.pollTransmit() {
                    progress = true
                    if let transmit = ice.send(applicationData: datagram, now: now) {
                        transmits.append(transmit)
                    } else if pendingDTLS.count < 64 {
                        // The peer's ClientHello may come before any of our checks succeeded
                        // (it sent it on its own valid pair, or before our answer was applied):
                        // hold the reply until ICE has a pair to send on instead of losing it
                        // to a DTLS retransmission timeout.
                        pendingDTLS.append(datagram)
                    }
                }
            }
            while let transmit = ice.pollTransmit() {
                transmits.append(transmit)
            }
            while let event = channels.pollEvent() {
                handleDataChannel(event)
            }
        }
    }

    private mutating func handleICE(_ event: ICEEvent, now: NIODeadline) {
        switch event {
        case .candidateGathered(let candidate):
            // From the stored parts: calling the computed `transportMid` here copied the
            // whole session once per candidate.
            let mid = Self.transportMid(local: localSDP, remote: remoteSDP, fallback: self.mid)
            let ufrag = ice.localCredentials.ufrag
            let found = ICECandidateInit(candidate: candidate.sdpAttributeValue, sdpMid: mid, sdpMLineIndex: 0, usernameFragment: ufrag)
            events.append(.ice(.localCandidate(found)))
        case .gatheringStateChanged(let state):
            events.append(.ice(.gatheringStateChanged(state)))
        case .connectionStateChanged(let state):
            setICEState(state, now: now)
        case .selectedPairChanged(let pair):
            noteDataPair(pair)
            if clientHelloBeforeSelection {
                clientHelloBeforeSelection = false
                dtls?.resendFirstFlightIfUnanswered(by: now + Self.clientHelloGrace)
            }
            pathBecameUsable(now: now)
        case .validPairFound(let pair):
            // W3C `connected`: "found a usable connection, still checking". The agent says
            // `connected` only once a pair is selected; data already flows on this one.
            noteDataPair(pair)
            setICEState(.connected, now: now)
            pathBecameUsable(now: now)
        case .roleChanged:
            break
        case .candidateError(let error):
            statistics.iceCandidateErrors += 1
            events.append(.ice(.candidateError(error)))
        }
    }

    /// Records the pair application data goes on (statistics, logs).
    private mutating func noteDataPair(_ pair: ICECandidatePair) {
        statistics.selectedCandidatePair = "\(pair.local.address) -> \(pair.remote.address)"
        (statistics.selectedLocalCandidateType, statistics.selectedRemoteCandidateType) = (pair.local.type.rawValue, pair.remote.type.rawValue)
    }

    /// How long after selection a ClientHello sent before it may stay unanswered before it is
    /// sent again (the peer may have dropped it, not being ready; its reply usually arrives
    /// with or before the nomination).
    static let clientHelloGrace = TimeAmount.milliseconds(5)

    /// ICE has a pair to send on (valid or selected): the DTLS client may start, and what DTLS
    /// had to hold goes out.
    private mutating func pathBecameUsable(now: NIODeadline) {
        startTransportIfReady(now: now)
        guard ice.canSendApplicationData else { return }
        for datagram in pendingDTLS {
            if let transmit = ice.send(applicationData: datagram, now: now) { transmits.append(transmit) }
        }
        pendingDTLS.removeAll()
    }

    private mutating func handleDTLS(_ event: DTLSEvent, now: NIODeadline) {
        switch event {
        case .handshakeCompleted:
            dtlsPhase = .connected
            startSRTP()
            // SCTP starts over DTLS: the DTLS client sends INIT; the role fixes stream-id parity (RFC 8832 §6).
            channels.start(role: dtlsRole == .server ? .dtlsServer : .dtlsClient, now: now)
            if sctpStartedEarly {
                // The INIT went out before the handshake completed: its INIT-ACK usually
                // follows the server's Finished at once, else the server dropped it.
                channels.resendInitIfUnanswered(by: now + configuration.earlyINITResendDelay)
            }
            updateConnectionState()
        case .applicationData(let packet):
            channels.handle(packet, now: now)
        case .alert:
            break
        case .closed where dtlsPhase != .connected:
            // close_notify before the handshake completed: the peer gave up (it was closed
            // while its ClientHello was on the way). Nothing was ever open, so this is a
            // failure with its reason, not a normal close of channels that never opened.
            dtlsFailed(reason: "the peer closed the DTLS association (close_notify) before the handshake completed", now: now)
        case .closed:
            dtlsPhase = .closed
            for i in transceivers.indices { endRemoteTrack(i) }
            channels.closeAll(now: now)
            setConnectionState(.closed)
        case .failed(let error):
            dtlsFailed(reason: error.description, now: now)
        }
    }

    /// DTLS failed: the connection state becomes `failed` before the channels' own closed
    /// events are reported, so the API closes each channel with the failure's reason.
    private mutating func dtlsFailed(reason: String, now: NIODeadline) {
        dtlsPhase = .failed
        dtlsFailureReason = reason
        for i in transceivers.indices { endRemoteTrack(i) }
        updateConnectionState()
        channels.closeAll(now: now)
    }

    /// A new ICE state from the agent. Back to `connected` from `disconnected`, or from the
    /// checks of a restart, the path works again: SCTP timers that backed off while nothing
    /// got through would hold the waiting data for up to a minute, so it goes now.
    private mutating func setICEState(_ state: ICEConnectionState, now: NIODeadline) {
        let interrupted = iceState == .disconnected || (iceState == .checking && dtlsPhase == .connected)
        setICEState(state)
        if interrupted, state == .connected || state == .completed, dtlsPhase == .connected {
            channels.pathRestored(now: now)
        }
    }

    mutating func setICEState(_ state: ICEConnectionState) {
        guard iceState != state else { return }
        iceState = state
        events.append(.ice(.connectionStateChanged(state)))
        updateConnectionState()
    }

    /// W3C §4.3.3: the aggregate of ICE and DTLS states.
    mutating func updateConnectionState() {
        guard !isClosed else { return }
        let state: PeerConnectionState
        if dtlsPhase == .failed || iceState == .failed {
            state = .failed
        } else if iceState == .disconnected {
            state = .disconnected
        } else if dtlsPhase == .connected && (iceState == .connected || iceState == .completed) {
            state = .connected
        } else if iceState == .new && dtlsPhase == .waiting {
            state = .new
        } else {
            state = .connecting
        }
        setConnectionState(state)
    }

    mutating func setConnectionState(_ state: PeerConnectionState) {
        guard connectionState != state else { return }
        connectionState = state
        events.append(.connectionStateChanged(state))
    }
}
