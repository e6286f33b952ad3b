import Foundation
import NIOCore
import RTCCore
@_spi(SRTPBenchmark) import RTCSRTP

/// `swiftrtc-bench srtp [PACKETS]`: ns/packet for `SRTPContext.protect` and `unprotect` of RTP
/// packets with 1,200-byte payloads, SRTP_AES128_CM_HMAC_SHA1_80 and SRTP_AEAD_AES_128_GCM,
/// on CRTCCrypto and on the swift-crypto fallback. Measured exactly like
/// scripts/libsrtp-harness.c: batches of 256 packets refilled outside the timed part. Prints
///
///     swiftrtc <native|swift-crypto> <profile> <protect|unprotect> <ns per packet> <allocations per packet|-1>
///
/// Allocations are counted only when scripts/bench-srtp.sh preloads its malloc-counting shim
/// (which exports `srtpbench_allocations`, a per-thread count of malloc-family calls).
enum SRTPBenchmark {
    static let batch = 256
    static let payload = 1200

    static func run(packets: Int) {
        let counter = allocationCounter()
        for profile in [SRTPProtectionProfile.aes128CmHmacSha1_80, .aeadAes128Gcm] {
            if SRTPImplementationSwitch.nativeAvailable {
                measure(profile, label: "native", packets: packets, counter: counter)
            } else {
                print("swiftrtc native \(name(profile)) not-available")
            }
            SRTPImplementationSwitch.withSwiftCrypto {
                measure(profile, label: "swift-crypto", packets: packets / 4, counter: counter)
            }
        }
    }

    static func name(_ profile: SRTPProtectionProfile) -> String {
        profile == .aeadAes128Gcm ? "SRTP_AEAD_AES_128_GCM" : "SRTP_AES128_CM_HMAC_SHA1_80"
    }

    static func allocationCounter() -> (@convention(c) () -> UInt64)? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "srtpbench_allocations") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) () -> UInt64).self)
    }

    static func measure(_ profile: SRTPProtectionProfile, label: String, packets: Int, counter: (@convention(c) () -> UInt64)?) {
        let key = (0..<(profile.keyLength + profile.saltLength)).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
        let master = SRTPMasterKey(key: Array(key[0..<profile.keyLength]), salt: Array(key[profile.keyLength...]))
        var sender = try! SRTPContext(profile: profile, master: master)
        var receiver = try! SRTPContext(profile: profile, master: master)
        var plain: [UInt8] = [0x80, 96, 0, 0, 0x12, 0x34, 0x56, 0x78, 0xDE, 0xC0, 0xDE, 0x01]
        plain += (0..<payload).map { UInt8(truncatingIfNeeded: $0 * 13) }
        let allocator = ByteBufferAllocator()
        var slots = (0..<batch).map { _ in allocator.buffer(capacity: plain.count + 64) }
        var seq: UInt16 = 1000
        var protectNanos: UInt64 = 0, unprotectNanos: UInt64 = 0
        var protectAllocations: UInt64 = 0, unprotectAllocations: UInt64 = 0
        var done = 0
        var round = -1  // round -1 warms up, untimed
        while done < packets {
            for i in 0..<batch {
                slots[i].clear()
                slots[i].writeBytes(plain)
                slots[i].setInteger(seq, at: 2)
                seq &+= 1
            }
            let a0 = counter?() ?? 0
            let t0 = DispatchTime.now().uptimeNanoseconds
            for i in 0..<batch { try! sender.protect(&slots[i]) }
            let t1 = DispatchTime.now().uptimeNanoseconds
            let a1 = counter?() ?? 0
            for i in 0..<batch { try! receiver.unprotect(&slots[i]) }
            let t2 = DispatchTime.now().uptimeNanoseconds
            let a2 = counter?() ?? 0
            round += 1
            guard round > 0 else { continue }
            precondition(slots[0].readableBytes == plain.count && slots[0].getBytes(at: 12, length: 16)! == Array(plain[12..<28]),
                         "round trip mismatch")
            protectNanos += t1 - t0
            unprotectNanos += t2 - t1
            protectAllocations += a1 - a0
            unprotectAllocations += a2 - a1
            done += batch
        }
        for (operation, nanos, allocations) in [("protect", protectNanos, protectAllocations), ("unprotect", unprotectNanos, unprotectAllocations)] {
            let perPacket = counter == nil ? -1 : Double(allocations) / Double(done)
            print(String(format: "swiftrtc %@ %@ %@ %.1f %.3f", label, name(profile), operation, Double(nanos) / Double(done), perPacket))
        }
    }
}
