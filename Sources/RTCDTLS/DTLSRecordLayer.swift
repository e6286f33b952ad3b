import NIOCore
import RTCCore

/// The DTLS record layer (RFC 6347 §4.1) of one association: read and write epochs, record
/// sequence numbers, the anti-replay windows, AEAD protection, and the datagrams being built.
///
/// Only epochs 0 (plaintext) and 1 (the keys of the one handshake) exist: renegotiation is
/// refused, so no later epoch is ever installed.
struct DTLSRecordLayer {
    /// Largest datagram written.
    let mtu: Int

    // MARK: read side
    private(set) var readEpoch: UInt16 = 0
    private var readProtection: DTLSRecordProtection?
    private var pendingReadProtection: DTLSRecordProtection?
    private var replay = [ReplayWindow(), ReplayWindow()]
    /// Epoch-1 records that overtook the ChangeCipherSpec (RFC 6347 §4.1).
    private var futureRecords: [DTLSRecord] = []

    // MARK: write side
    private(set) var writeEpoch: UInt16 = 0
    private var writeProtection: DTLSRecordProtection?
    private var writeSequence: [UInt64] = [0, 0]

    // MARK: datagrams out
    private let allocator = ByteBufferAllocator()
    private var current: ByteBuffer
    private var datagrams: [ByteBuffer] = []
    private var datagramHead = 0

    init(mtu: Int) {
        self.mtu = mtu
        current = ByteBufferAllocator().buffer(capacity: mtu)
    }

    // MARK: - Keys

    /// Installs the epoch-1 keys: `write` at once (it protects records once our
    /// ChangeCipherSpec went out), `read` when the peer's ChangeCipherSpec arrives.
    mutating func install(write: DTLSRecordProtection, read: DTLSRecordProtection) {
        writeProtection = write
        pendingReadProtection = read
    }

    /// Whether keys wait for the peer's ChangeCipherSpec.
    var hasPendingReadKeys: Bool { pendingReadProtection != nil }

    /// The peer's ChangeCipherSpec arrived: reads move to epoch 1. Returns the epoch-1 records
    /// that arrived early, to be processed now.
    mutating func activatePendingReadKeys() -> [DTLSRecord] {
        readProtection = pendingReadProtection
        pendingReadProtection = nil
        readEpoch = 1
        defer { futureRecords.removeAll() }
        return futureRecords
    }

    /// Forgets early records (the handshake is over).
    mutating func discardFutureRecords() { futureRecords.removeAll() }

    // MARK: - Records in

    /// What became of one received record.
    enum Inbound {
        /// A record of the current read epoch, authenticated and fresh.
        case deliver(type: UInt8, plaintext: [UInt8], epoch: UInt16)
        /// An epoch-0 handshake record that arrived after we moved to epoch 1: the peer
        /// retransmits its plaintext flight.
        case retransmittedHandshake([UInt8])
        /// Kept for later (epoch 1 before the ChangeCipherSpec) or harmless (an old
        /// ChangeCipherSpec).
        case held
        /// Dropped by the anti-replay window (RFC 6347 §4.1.2.6).
        case droppedReplay
        /// Dropped: authentication failed.
        case droppedBadMAC
        /// Dropped: an epoch we cannot read.
        case droppedWrongEpoch
    }

    /// Unprotects one record (RFC 6347 §4.1.2). `handshaking` allows holding early epoch-1 records.
    mutating func receive(_ record: DTLSRecord, handshaking: Bool) -> Inbound {
        if record.epoch == readEpoch {
            let e = Int(record.epoch)
            guard replay[e].check(record.sequenceNumber) else { return .droppedReplay }
            let plaintext: [UInt8]
            if readEpoch == 0 {
                plaintext = record.fragment
            } else {
                guard let protection = readProtection,
                      let pt = protection.open(record.fragment[...], epoch: record.epoch, sequence: record.sequenceNumber,
                                               type: record.contentType, version: record.version) else {
                    return .droppedBadMAC
                }
                plaintext = pt
            }
            replay[e].accept(record.sequenceNumber)
            return .deliver(type: record.contentType, plaintext: plaintext, epoch: record.epoch)
        } else if record.epoch == readEpoch &+ 1, readEpoch == 0, handshaking, futureRecords.count < 32 {
            futureRecords.append(record)
            return .held
        } else if record.epoch == 0, readEpoch == 1, record.contentType == DTLSContentType.handshake.rawValue {
            guard replay[0].check(record.sequenceNumber) else { return .droppedReplay }
            replay[0].accept(record.sequenceNumber)
            return .retransmittedHandshake(record.fragment)
        } else if record.epoch == 0, readEpoch == 1, record.contentType == DTLSContentType.changeCipherSpec.rawValue {
            return .held
        }
        return .droppedWrongEpoch
    }

    /// Whether application-data records of the current epoch can be opened in place
    /// (``receiveInPlace(_:offset:length:sequence:version:)``): epoch 1 is being read and its
    /// keys run on CRTCCrypto.
    var opensInPlace: Bool { readEpoch == 1 && readProtection?.native != nil }

    /// What became of an epoch-1 record opened in place.
    enum InPlaceInbound {
        /// Authenticated and fresh: the plaintext is at this reader offset and length of the buffer.
        case deliver(offset: Int, length: Int)
        /// Dropped by the anti-replay window (RFC 6347 §4.1.2.6).
        case droppedReplay
        /// Dropped: authentication failed (or the fragment is too short to hold a tag).
        case droppedBadMAC
    }

    /// Unprotects the epoch-1 record whose fragment is the `length` bytes at reader offset
    /// `offset` of `buffer`, decrypting it there (RFC 6347 §4.1.2): the same checks, in the same
    /// order, as ``receive(_:handshaking:)`` for a record of the current epoch, without copying
    /// the fragment out. Only when ``opensInPlace``.
    mutating func receiveInPlace(_ buffer: inout ByteBuffer, offset: Int, length: Int, sequence: UInt64, version: UInt16) -> InPlaceInbound {
        guard replay[1].check(sequence) else { return .droppedReplay }
        guard let protection = readProtection,
              let plaintext = protection.openInPlace(&buffer, offset: offset, length: length, epoch: 1, sequence: sequence,
                                                     type: DTLSContentType.applicationData.rawValue, version: version) else {
            return .droppedBadMAC
        }
        replay[1].accept(sequence)
        return .deliver(offset: plaintext.offset, length: plaintext.length)
    }

    // MARK: - Records out

    /// Bytes protection adds to a handshake fragment of `epoch`.
    private func overhead(epoch: UInt16) -> Int { epoch > 0 ? (writeProtection?.suite.recordOverhead ?? 0) : 0 }

    /// Fragments a handshake message into records that fit the MTU (RFC 6347 §4.2.3), filling
    /// the datagram being built before starting a new one.
    mutating func writeHandshake(type: UInt8, seq: UInt16, body: [UInt8], epoch: UInt16) {
        let overhead = DTLSRecord.headerLength + DTLSHandshakeFragment.headerLength + overhead(epoch: epoch)
        let mtu = max(self.mtu, overhead + 32)
        var offset = 0
        repeat {
            var room = mtu - current.readableBytes - overhead
            if room < 32 || (room < body.count - offset && room < 128) {
                finishDatagram()
                room = mtu - overhead
            }
            let n = min(room, body.count - offset)
            var fragment: [UInt8] = []
            fragment.reserveCapacity(n + 12)
            DTLSHandshakeFragment(messageType: type, length: body.count, messageSeq: seq, fragmentOffset: offset,
                                  body: Array(body[offset..<(offset + n)])).serialize(into: &fragment)
            writeRecord(type: DTLSContentType.handshake.rawValue, epoch: epoch, plaintext: fragment)
            offset += n
        } while offset < body.count
    }

    /// Writes our ChangeCipherSpec (epoch 0); later records use epoch 1.
    mutating func writeChangeCipherSpec() {
        writeRecord(type: DTLSContentType.changeCipherSpec.rawValue, epoch: 0, plaintext: [1])
        writeEpoch = 1
    }

    /// Writes an alert in the current write epoch, in a datagram of its own.
    mutating func writeAlert(level: UInt8, description: UInt8) {
        writeRecord(type: DTLSContentType.alert.rawValue, epoch: writeEpoch, plaintext: [level, description])
        finishDatagram()
    }

    /// Protects application data (RFC 5246 §10) as one epoch-1 record in a datagram of its own,
    /// or, right behind a handshake flight still queued, in that flight's last datagram when it
    /// fits (RFC 6347 §4.1.1 lets a datagram hold several records): the server's Finished and
    /// SCTP's INIT-ACK, the client's flight and the INIT it sends in False Start, leave in one
    /// write and wake the peer once.
    mutating func writeApplicationData(_ data: ByteBuffer) throws {
        guard let protection = writeProtection else { throw DTLSError.notConnected }
        let count = data.readableBytes
        guard count <= 16384 else { throw DTLSError.recordTooLarge(count) }
        finishDatagram()
        if datagramHead < datagrams.count, let last = datagrams.last,
           last.readableBytes + DTLSRecord.headerLength + count + protection.suite.recordOverhead <= mtu,
           let type = last.getInteger(at: last.readerIndex, as: UInt8.self),
           type == DTLSContentType.handshake.rawValue || type == DTLSContentType.changeCipherSpec.rawValue {
            current = datagrams.removeLast()
        }
        let seq = writeSequence[1]
        writeSequence[1] &+= 1
        writeHeader(type: DTLSContentType.applicationData.rawValue, epoch: 1, seq: seq, length: count + protection.suite.recordOverhead)
        try data.withUnsafeReadableBytes { bytes in
            try protection.seal(bytes, epoch: 1, sequence: seq, type: DTLSContentType.applicationData.rawValue,
                                version: DTLSRecord.version12, into: &current)
        }
        finishDatagram()
    }

    private mutating func writeHeader(type: UInt8, epoch: UInt16, seq: UInt64, length: Int) {
        // The 13 bytes in one raw write (`writeMultipleIntegers` still made a checked,
        // exclusivity-checked buffer access per integer).
        current.writeWithUnsafeMutableBytes(minimumWritableBytes: DTLSRecord.headerLength) { out in
            out[0] = type
            out.storeBytes(of: DTLSRecord.version12.bigEndian, toByteOffset: 1, as: UInt16.self)
            out.storeBytes(of: epoch.bigEndian, toByteOffset: 3, as: UInt16.self)
            out.storeBytes(of: UInt16(truncatingIfNeeded: seq >> 32).bigEndian, toByteOffset: 5, as: UInt16.self)
            out.storeBytes(of: UInt32(truncatingIfNeeded: seq).bigEndian, toByteOffset: 7, as: UInt32.self)
            out.storeBytes(of: UInt16(truncatingIfNeeded: length).bigEndian, toByteOffset: 11, as: UInt16.self)
            return DTLSRecord.headerLength
        }
    }

    private mutating func writeRecord(type: UInt8, epoch: UInt16, plaintext: [UInt8]) {
        let protection = epoch > 0 ? writeProtection : nil
        let length = plaintext.count + (protection?.suite.recordOverhead ?? 0)
        if current.readableBytes > 0, current.readableBytes + DTLSRecord.headerLength + length > mtu {
            finishDatagram()
        }
        let e = Int(min(epoch, 1))
        let seq = writeSequence[e]
        writeSequence[e] &+= 1
        writeHeader(type: type, epoch: epoch, seq: seq, length: length)
        if let protection {
            do {
                try plaintext.withUnsafeBytes { bytes in
                    try protection.seal(bytes, epoch: epoch, sequence: seq, type: type,
                                        version: DTLSRecord.version12, into: &current)
                }
            } catch {
                // AES-GCM / ChaCha20 sealing with valid sizes cannot fail; drop the record if it does.
                current.moveWriterIndex(to: current.writerIndex - DTLSRecord.headerLength)
            }
        } else {
            current.writeBytes(plaintext)
        }
    }

    /// Closes the datagram being built, if it holds anything.
    mutating func finishDatagram() {
        guard current.readableBytes > 0 else { return }
        datagrams.append(current)
        current = allocator.buffer(capacity: mtu)
    }

    /// The next finished datagram, or `nil` when there is none.
    mutating func nextDatagram() -> ByteBuffer? {
        if datagramHead == datagrams.count { finishDatagram() }
        guard datagramHead < datagrams.count else {
            if !datagrams.isEmpty { datagrams.removeAll(keepingCapacity: true); datagramHead = 0 }
            return nil
        }
        defer { datagramHead += 1 }
        return datagrams[datagramHead]
    }
}
