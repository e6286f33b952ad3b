import NIOCore
import RTCCore
import RTCSRTP

/// libFuzzer entry: for every SRTP profile, arbitrary bytes go to SRTP and SRTCP unprotect
/// (which must throw a typed error or, at the odds of guessing a tag, shorten the packet by the
/// tag), and through protect → unprotect with the same key (which must give the input back).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    for profile in SRTPProtectionProfile.allCases {
        let master = SRTPMasterKey(key: [UInt8](repeating: 0x4B, count: profile.keyLength),
                                   salt: [UInt8](repeating: 0x53, count: profile.saltLength))
        guard var rtpIn = try? SRTPContext(profile: profile, master: master),
              var rtpOut = try? SRTPContext(profile: profile, master: master),
              var rtcpIn = try? SRTCPContext(profile: profile, master: master),
              var rtcpOut = try? SRTCPContext(profile: profile, master: master) else {
            preconditionFailure("keys of the profile's lengths must be accepted")
        }
        var a = input
        if (try? rtpIn.unprotect(&a)) != nil {
            precondition(a.readableBytes == size - profile.srtpTagLength, "unprotect kept the tag")
        }
        var b = input
        if (try? rtcpIn.unprotect(&b)) != nil {
            precondition(b.readableBytes == size - profile.srtcpTagLength - 4, "unprotect kept the trailer")
        }
        var c = input
        if (try? rtpOut.protect(&c)) != nil {
            var receiver = try! SRTPContext(profile: profile, master: master)
            try! receiver.unprotect(&c)
            precondition(c == input, "SRTP round trip changed the packet")
        }
        var d = input
        if (try? rtcpOut.protect(&d)) != nil {
            var receiver = try! SRTCPContext(profile: profile, master: master)
            try! receiver.unprotect(&d)
            precondition(d == input, "SRTCP round trip changed the packet")
        }
    }
    return 0
}
