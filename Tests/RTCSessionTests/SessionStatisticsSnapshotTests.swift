import NIOCore
import RTCCore
import RTCSession
import RTCTestSupport
import Testing

/// The session's statistics snapshot on virtual time: data-channel counters on both sides
/// (kept after the channel closed), the transport's DTLS names once connected, and each side's
/// certificate seen by the other.
@Suite struct SessionStatisticsSnapshotTests {
    @Test func dataChannelCountersTransportAndCertificates() throws {
        var pair = try SessionPair()
        let before = pair.a.statisticsSnapshot
        #expect(before.transport.dtlsState == "new" && before.remoteCertificate == nil && before.candidatePairs.isEmpty)
        let handle = try pair.a.createDataChannel(label: "chat", options: DataChannelOptions(protocol: "p"), now: pair.now)
        #expect(pair.a.statisticsSnapshot.dataChannels.map(\.state) == [.connecting])
        try pair.negotiate()
        pair.run(for: .seconds(10)) { SessionOpensDataChannelTests.opened($0.eventsB).count == 1 }
        let messages: [DataChannelMessage] = [.text("hé"), .binary([1, 2, 3]), .text("three")]
        for m in messages { try pair.a.send(m, on: handle, now: pair.now) }
        try pair.a.send(binary: ByteBuffer(bytes: [9, 9]), on: handle, now: pair.now)
        pair.run(for: .seconds(2)) { SessionOpensDataChannelTests.messages($0.eventsB).count == 4 }

        let a = pair.a.statisticsSnapshot
        let b = pair.b.statisticsSnapshot
        let sent = try #require(a.dataChannels.first)
        let received = try #require(b.dataChannels.first)
        #expect(sent.label == "chat" && sent.protocol == "p" && sent.state == .open && received.label == "chat" && received.protocol == "p")
        #expect(sent.streamID == received.streamID && sent.streamID != nil)
        #expect(sent.messagesSent == 4 && sent.bytesSent == 3 + 3 + 5 + 2)
        #expect(received.messagesReceived == 4 && received.bytesReceived == sent.bytesSent)
        #expect(a.dataChannelsOpened == 1 && b.dataChannelsOpened == 1 && a.dataChannelsClosed == 0)
        #expect(a.transport.dtlsState == "connected" && a.transport.tlsVersion == "FEFD" && a.transport.dtlsCipher?.hasPrefix("TLS_") == true)
        #expect(Set([a.transport.dtlsRole, b.transport.dtlsRole]) == ["client", "server"])
        #expect(a.remoteCertificate == b.localCertificate && b.remoteCertificate == a.localCertificate)
        #expect(b.transport.bytesReceived > 0 && b.transport.bytesReceived <= a.transport.bytesSent)
        #expect(a.candidatePairs.contains { $0.isSelected } && a.transport.selectedCandidatePairChanges == 1)
        #expect(a.remoteUsernameFragment == b.localUsernameFragment)

        pair.a.closeDataChannel(handle, now: pair.now)
        pair.run(for: .seconds(5)) { SessionDataChannelLifecycleTests.closed($0.eventsB).count == 1 }
        let closedA = pair.a.statisticsSnapshot
        #expect(closedA.dataChannels.first?.state == .closed && closedA.dataChannels.first?.messagesSent == 4)
        #expect(closedA.dataChannelsClosed == 1 && pair.b.statisticsSnapshot.dataChannelsClosed == 1)
    }
}
