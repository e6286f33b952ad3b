import Crypto
import NIOCore

/// The State Cookie this implementation puts in INIT ACK: everything needed to build the
/// association when COOKIE ECHO arrives, so the INIT receiver keeps no state (RFC 9260 §5.1.3),
/// protected by HMAC-SHA-256 under a per-association secret.
struct SCTPStateCookie: Equatable {
    var localTag: UInt32
    var peerTag: UInt32
    var localInitialTSN: UInt32
    var peerInitialTSN: UInt32
    var peerReceiveWindow: UInt32
    var peerOutboundStreams: UInt16
    var peerInboundStreams: UInt16
    var peerSupportsForwardTSN: Bool
    var peerSupportsReconfig: Bool
    /// Creation time, `NIODeadline.uptimeNanoseconds`.
    var createdAt: UInt64

    static let bodySize = 4 * 5 + 2 * 2 + 1 + 8
    static let macSize = 32
    static let size = bodySize + macSize

    func encode(key: SymmetricKey) -> ByteBuffer {
        var b = ByteBuffer()
        b.reserveCapacity(Self.size)
        b.writeInteger(localTag)
        b.writeInteger(peerTag)
        b.writeInteger(localInitialTSN)
        b.writeInteger(peerInitialTSN)
        b.writeInteger(peerReceiveWindow)
        b.writeInteger(peerOutboundStreams)
        b.writeInteger(peerInboundStreams)
        b.writeInteger(UInt8((peerSupportsForwardTSN ? 1 : 0) | (peerSupportsReconfig ? 2 : 0)))
        b.writeInteger(createdAt)
        let mac = b.withUnsafeReadableBytes { HMAC<SHA256>.authenticationCode(for: $0, using: key) }
        mac.withUnsafeBytes { _ = b.writeBytes($0) }
        return b
    }

    /// Decodes and authenticates a cookie; `nil` when it is malformed or forged.
    static func decode(_ b: ByteBuffer, key: SymmetricKey) -> SCTPStateCookie? {
        guard b.readableBytes == size else { return nil }
        let r = b.readerIndex
        let body = b.getSlice(at: r, length: bodySize)!
        let mac = b.getSlice(at: r + bodySize, length: macSize)!
        let valid = body.withUnsafeReadableBytes { bodyBytes in
            mac.withUnsafeReadableBytes { macBytes in
                HMAC<SHA256>.isValidAuthenticationCode(macBytes, authenticating: bodyBytes, using: key)
            }
        }
        guard valid else { return nil }
        let flags = b.getInteger(at: r + 24, as: UInt8.self)!
        return SCTPStateCookie(localTag: b.getInteger(at: r)!, peerTag: b.getInteger(at: r + 4)!,
                               localInitialTSN: b.getInteger(at: r + 8)!, peerInitialTSN: b.getInteger(at: r + 12)!,
                               peerReceiveWindow: b.getInteger(at: r + 16)!, peerOutboundStreams: b.getInteger(at: r + 20)!,
                               peerInboundStreams: b.getInteger(at: r + 22)!, peerSupportsForwardTSN: flags & 1 != 0,
                               peerSupportsReconfig: flags & 2 != 0, createdAt: b.getInteger(at: r + 25)!)
    }
}
