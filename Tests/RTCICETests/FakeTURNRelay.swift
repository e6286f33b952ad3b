import NIOCore
import RTCCore
import RTCSTUN
import RTCTURN

/// A scripted TURN server that really relays (RFC 8656, much simplified), built from RTCSTUN
/// messages: 401 challenge and long-term integrity, Allocate, Refresh, CreatePermission,
/// ChannelBind, Send indications and ChannelData from clients, and datagrams that peers send
/// to a relayed address handed back as ChannelData (channel bound) or Data indications
/// (permission only). Tests change its script between steps and read its counters.
struct FakeTURNRelay {
    let address: TransportAddress
    var realm = "relay.test"
    var nonce = "nonce-1"
    var username = "alice"
    var password = "wonderland"
    var lifetime: UInt32 = 600
    /// Drop everything (an unreachable server).
    var unreachable = false
    /// Answer every authenticated request of a method with this error.
    var errors: [STUNMethod: STUNErrorCode] = [:]
    /// Pad ChannelData to clients to 4 bytes (required over TCP/TLS, RFC 8656 §12.5).
    var padChannelData = false

    struct Allocation {
        var relayed: TransportAddress
        var permissions: Set<IPAddress> = []
        var channels: [UInt16: TransportAddress] = [:]
    }

    /// Allocations by the client's address (its 5-tuple as the server sees it).
    var allocations: [TransportAddress: Allocation] = [:]
    /// Authenticated requests received, with their time.
    var requests: [(time: NIODeadline, method: STUNMethod, message: STUNMessage)] = []
    var sendIndications = 0
    var channelDataFromClients = 0
    var dataIndicationsToClients = 0
    var channelDataToClients = 0
    /// Peer datagrams dropped for want of a permission.
    var droppedWithoutPermission = 0
    private var nextPort: UInt16 = 49_152

    init(address: TransportAddress) { self.address = address }

    var key: STUNIntegrityKey { .longTerm(username: username, realm: realm, password: password) }

    /// Whether `address` is the server or one of its relayed addresses.
    func owns(_ address: TransportAddress) -> Bool {
        address == self.address || allocations.values.contains { $0.relayed == address }
    }

    func requests(_ method: STUNMethod) -> [(time: NIODeadline, method: STUNMethod, message: STUNMessage)] {
        requests.filter { $0.method == method }
    }

    /// Handles one datagram for the server or a relayed address; returns what it sends.
    mutating func handle(_ d: ReceivedDatagram, now: NIODeadline) -> [Transmit] {
        if unreachable { return [] }
        if d.destination != address { return fromPeer(d) }
        if TURNChannelData.looksLikeChannelData(d.payload) {
            guard let cd = try? TURNChannelData(parsing: d.payload), let a = allocations[d.source],
                  let peer = a.channels[cd.channel], a.permissions.contains(peer.ip) else { return [] }
            channelDataFromClients += 1
            return [Transmit(source: a.relayed, destination: peer, payload: cd.data)]
        }
        guard let parsed = try? STUNParsedMessage(d.payload) else { return [] }
        let m = parsed.message
        if m.type == STUNMessageType(method: .send, messageClass: .indication) {
            guard let a = allocations[d.source], let peer = try? m.xorAddress(.xorPeerAddress), let data = m.attribute(.data),
                  a.permissions.contains(peer.ip) else { return [] }
            sendIndications += 1
            var payload = ByteBuffer()
            payload.writeBytes(data.value)
            return [Transmit(source: a.relayed, destination: peer, payload: payload)]
        }
        guard m.type.messageClass == .request else { return [] }
        if m.type == .bindingRequest {  // also a STUN server (RFC 8489), no credentials needed
            let response = STUNMessage(type: .bindingSuccess, transactionID: m.transactionID,
                                       attributes: [.xorMappedAddress(d.source, transactionID: m.transactionID)])
            return [Transmit(source: address, destination: d.source, payload: response.encoded(fingerprint: true))]
        }
        return [Transmit(source: address, destination: d.source, payload: answer(parsed, from: d.source, now: now))]
    }

    private mutating func answer(_ parsed: STUNParsedMessage, from client: TransportAddress, now: NIODeadline) -> ByteBuffer {
        let m = parsed.message
        let method = m.type.method
        func error(_ code: STUNErrorCode, signed: Bool, extra: [STUNAttribute] = []) -> ByteBuffer {
            STUNMessage(type: STUNMessageType(method: method, messageClass: .errorResponse), transactionID: m.transactionID,
                        attributes: [.errorCode(code)] + extra).encoded(integrity: signed ? key : nil)
        }
        guard parsed.hasIntegrity, m.username == username, parsed.verifyIntegrity(key) else {
            return error(.unauthenticated, signed: false, extra: [.realm(realm), .nonce(nonce)])
        }
        guard m.nonce == nonce else { return error(.staleNonce, signed: false, extra: [.realm(realm), .nonce(nonce)]) }
        requests.append((now, method, m))
        if let code = errors[method] { return error(code, signed: true) }
        var attributes: [STUNAttribute] = []
        switch method {
        case .allocate:
            let relayed = TransportAddress(ip: address.ip, port: nextPort)
            nextPort += 1
            allocations[client] = Allocation(relayed: relayed)
            attributes = [.xorAddress(.xorRelayedAddress, relayed, transactionID: m.transactionID), .uint32(.lifetime, lifetime),
                          .xorMappedAddress(client, transactionID: m.transactionID)]
        case .refresh:
            let asked = m.uint32(.lifetime) ?? lifetime
            if asked == 0 { allocations[client] = nil }
            attributes = [.uint32(.lifetime, asked == 0 ? 0 : lifetime)]
        case .createPermission:
            if let peer = try? m.xorAddress(.xorPeerAddress) { allocations[client]?.permissions.insert(peer.ip) }
        case .channelBind:
            if let peer = try? m.xorAddress(.xorPeerAddress), let c = m.attribute(.channelNumber), c.value.count == 4 {
                allocations[client]?.channels[UInt16(c.value[0]) << 8 | UInt16(c.value[1])] = peer
                allocations[client]?.permissions.insert(peer.ip)
            }
        default:
            break
        }
        return STUNMessage(type: STUNMessageType(method: method, messageClass: .successResponse), transactionID: m.transactionID,
                           attributes: attributes).encoded(integrity: key)
    }

    /// A peer sent to a relayed address: hand it to the allocation's client (RFC 8656 §11.6, §12.5).
    private mutating func fromPeer(_ d: ReceivedDatagram) -> [Transmit] {
        guard let (client, a) = allocations.first(where: { $0.value.relayed == d.destination }) else { return [] }
        guard a.permissions.contains(d.source.ip) else {
            droppedWithoutPermission += 1
            return []
        }
        if let channel = a.channels.first(where: { $0.value == d.source })?.key {
            channelDataToClients += 1
            return [Transmit(source: address, destination: client, payload: TURNChannelData(channel: channel, data: d.payload).encoded(pad: padChannelData))]
        }
        dataIndicationsToClients += 1
        let tid = STUNTransactionID(high: UInt32(dataIndicationsToClients), low: 7)
        let message = STUNMessage(type: STUNMessageType(method: .data, messageClass: .indication), transactionID: tid,
                                  attributes: [.xorAddress(.xorPeerAddress, d.source, transactionID: tid),
                                               STUNAttribute(type: .data, value: Array(d.payload.readableBytesView))])
        return [Transmit(source: address, destination: client, payload: message.encoded())]
    }
}
