#!/usr/bin/env python3
"""Protects and unprotects packets with libsrtp 2 (through pylibsrtp), for RTCSRTP's interop
tests.

    srtp-libsrtp-peer.py JOB_FILE

JOB_FILE is JSON: {"profile": <DTLS-SRTP profile id>, "key": "<hex master key ‖ master salt>",
"rtp_protect": [hex...], "rtp_unprotect": [hex...], "rtcp_protect": [hex...],
"rtcp_unprotect": [hex...]}. One outbound libsrtp session protects the *_protect packets in
order; one inbound session unprotects the *_unprotect packets in order. Prints one line:

    RESULT {"rtp_protect": [...], "rtp_unprotect": [...], "rtcp_protect": [...], "rtcp_unprotect": [...]}

where each entry is the resulting packet in hex, or "error: <libsrtp message>".
"""
import json
import sys

import pylibsrtp

PROFILES = {
    1: pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    2: pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32,
    7: pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
    8: pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM,
}


def session(job, ssrc_type):
    policy = pylibsrtp.Policy(key=bytes.fromhex(job["key"]), ssrc_type=ssrc_type,
                              srtp_profile=PROFILES[job["profile"]])
    return pylibsrtp.Session(policy=policy)


def run(operation, packets):
    out = []
    for packet in packets:
        try:
            out.append(operation(bytes.fromhex(packet)).hex())
        except pylibsrtp.Error as error:
            out.append("error: %s" % error)
    return out


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    outbound = session(job, pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    inbound = session(job, pylibsrtp.Policy.SSRC_ANY_INBOUND)
    result = {
        "rtp_protect": run(outbound.protect, job["rtp_protect"]),
        "rtcp_protect": run(outbound.protect_rtcp, job["rtcp_protect"]),
        "rtp_unprotect": run(inbound.unprotect, job["rtp_unprotect"]),
        "rtcp_unprotect": run(inbound.unprotect_rtcp, job["rtcp_unprotect"]),
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
