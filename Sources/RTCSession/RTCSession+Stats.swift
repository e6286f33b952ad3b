import NIOCore
import RTCCore
import RTCDTLS
import RTCICE
import RTCRTPStreams
import RTCSRTP

extension RTCSession {
    /// SCTP over a DTLS False Start (we are the DTLS client, RFC 7918): whether its INIT went
    /// out before the handshake completed, and how many times it went again because the peer
    /// had not answered it soon after (it dropped it). For diagnosis and interop tests.
    public var earlySCTPStart: (started: Bool, initResends: Int) {
        (sctpStartedEarly, channels.initResendsAfterEarlyStart)
    }

    /// Everything the session counts, read now from the cores (nothing is logged per packet):
    /// what SwiftRTC's `statistics()` turns into a W3C webrtc-stats report.
    public var statisticsSnapshot: SessionStatisticsSnapshot {
        let pairs = ice.candidatePairStatistics
        var locals = ice.localCandidates
        // Peer-reflexive local candidates live only in the pairs that learned them.
        for p in pairs where !locals.contains(where: { $0.address == p.pair.local.address && $0.type == p.pair.local.type }) {
            locals.append(p.pair.local)
        }
        let info = dtlsPhase == .connected ? dtls?.handshakeInfo : nil
        let totals = ice.applicationDataCounters
        let transport = SessionTransportStatistics(
            packetsSent: totals.packetsSent, packetsReceived: totals.packetsReceived,
            bytesSent: totals.bytesSent, bytesReceived: totals.bytesReceived,
            iceState: iceState, iceRole: ice.role, dtlsState: dtlsPhase.w3cName,
            dtlsRole: dtlsRole.map { $0 == .client ? "client" : "server" },
            tlsVersion: info == nil ? nil : "FEFD", dtlsCipher: info?.cipherSuite.ianaName,
            srtpCipher: info?.srtpProfile?.w3cName, selectedCandidatePairChanges: ice.selectedPairChanges)
        var channelStats = statisticsCounters.dataChannels
        for handle in channels.handles {
            // The manager's state is the live one; stream ids of channels created before SCTP came up.
            if let state = channels.state(of: handle) { channelStats[handle]?.state = state }
            if let id = channels.streamID(of: handle) { channelStats[handle]?.streamID = id }
        }
        return SessionStatisticsSnapshot(
            transport: transport, candidatePairs: pairs, localCandidates: locals, relayServers: ice.relayServersByCandidate,
            remoteCandidates: ice.remoteCandidates,
            localUsernameFragment: ice.localCredentials.ufrag, remoteUsernameFragment: ice.remoteCredentials?.ufrag,
            localCertificate: SessionCertificateInfo(fingerprint: certificate.fingerprint, der: certificate.derBytes),
            remoteCertificate: info.map { SessionCertificateInfo(fingerprint: $0.remoteFingerprint, der: $0.remoteCertificate) },
            dataChannels: channelStats.values.sorted { $0.handle < $1.handle },
            dataChannelsOpened: statisticsCounters.dataChannelsOpened, dataChannelsClosed: statisticsCounters.dataChannelsClosed,
            transceivers: transceivers.map(\.mediaStatisticsSnapshot))
    }
}

extension SessionTransceiver {
    /// The transceiver's streams with their counters.
    var mediaStatisticsSnapshot: SessionTransceiverStatistics {
        let outbound = sendStream.map { stream in
            SessionOutboundStatistics(ssrc: stream.ssrc, rtxSSRC: stream.configuration.retransmission?.ssrc, trackID: sender?.trackID,
                                      codec: negotiated?.codec(payloadType: stream.configuration.payloadType),
                                      counters: stream.statistics)
        }
        let inbound = receivers.keys.sorted().compactMap { ssrc -> SessionInboundStatistics? in
            guard let r = receivers[ssrc] else { return nil }
            let clockRate = max(1, r.stream.receiveStatistics.clockRate)
            return SessionInboundStatistics(ssrc: ssrc, rtxSSRC: r.stream.retransmissionSSRC, trackID: remoteTrack?.trackID,
                                            codec: negotiated?.codec(payloadType: r.stream.configuration.payloadType),
                                            counters: r.stream.statistics, packetsLost: r.stream.receiveStatistics.cumulativeLost,
                                            jitter: Double(r.stream.receiveStatistics.jitter) / Double(clockRate))
        }
        return SessionTransceiverStatistics(handle: handle, kind: kind, mid: mid, outbound: outbound, inbound: inbound)
    }
}

extension DTLSPhase {
    /// W3C `RTCDtlsTransportState`.
    var w3cName: String {
        switch self {
        case .waiting: "new"
        case .created, .handshaking: "connecting"
        case .connected: "connected"
        case .failed: "failed"
        case .closed: "closed"
        }
    }
}

extension DTLSCipherSuite {
    /// The IANA name (W3C `dtlsCipher`).
    var ianaName: String {
        switch self {
        case .ecdheECDSAWithAES128GCMSHA256: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        case .ecdheECDSAWithAES256GCMSHA384: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
        case .ecdheECDSAWithChaCha20Poly1305SHA256: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
        }
    }
}

extension SRTPProtectionProfile {
    /// The profile's name in the IANA DTLS-SRTP protection profile registry (RFC 5764 §4.1.2,
    /// RFC 7714 §14.2), W3C `srtpCipher`.
    var w3cName: String {
        switch self {
        case .aes128CmHmacSha1_80: "SRTP_AES128_CM_HMAC_SHA1_80"
        case .aes128CmHmacSha1_32: "SRTP_AES128_CM_HMAC_SHA1_32"
        case .aeadAes128Gcm: "SRTP_AEAD_AES_128_GCM"
        case .aeadAes256Gcm: "SRTP_AEAD_AES_256_GCM"
        }
    }
}
