// libsrtp-harness: drives Debian's libsrtp 2 for RTCSRTP's interop tests and its benchmark.
//
//   cc -O2 -o libsrtp-harness scripts/libsrtp-harness.c -lsrtp2
//
//   libsrtp-harness interop JOB_FILE [RESULT_FILE]
//       JOB_FILE has one item per line: "profile <DTLS-SRTP id>", "key <hex master key ‖ salt>",
//       then any number of "<kind> <hex packet>" with kind rtp_protect, rtp_unprotect,
//       rtcp_protect or rtcp_unprotect. One outbound session protects the *_protect packets in
//       order, one inbound session unprotects the *_unprotect packets in order. Prints one line
//           RESULT {"rtp_protect": [...], "rtp_unprotect": [...], "rtcp_protect": [...], "rtcp_unprotect": [...]}
//       each entry the resulting packet in hex, or "error: <libsrtp status>" — to RESULT_FILE
//       when given (the tests read the file after the harness exits: no pipe to race), else
//       to standard output.
//
//   libsrtp-harness bench [PACKETS]
//       ns/packet for srtp_protect and srtp_unprotect of RTP packets with 1,200-byte payloads,
//       for SRTP_AES128_CM_HMAC_SHA1_80 and SRTP_AEAD_AES_128_GCM, in batches of 256 (the
//       batch is refilled with plain packets outside the timed part). Lines:
//           libsrtp <profile> <protect|unprotect> <ns per packet> <allocations per packet|-1>
//       Allocations are counted only when the malloc-counting shim of scripts/bench-srtp.sh
//       is preloaded (it exports srtpbench_allocations()).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <srtp2/srtp.h>

#define MAX_PACKET 2048

enum { RTP_PROTECT, RTP_UNPROTECT, RTCP_PROTECT, RTCP_UNPROTECT, KINDS };
static const char *kind_names[KINDS] = { "rtp_protect", "rtp_unprotect", "rtcp_protect", "rtcp_unprotect" };

static void fail(const char *message) {
    fprintf(stderr, "libsrtp-harness: %s\n", message);
    exit(2);
}

static int hex_value(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int from_hex(const char *text, uint8_t *out, int capacity) {
    int n = 0;
    while (text[0] && text[0] != '\n' && text[0] != '\r') {
        int hi = hex_value(text[0]), lo = text[1] ? hex_value(text[1]) : -1;
        if (hi < 0 || lo < 0 || n >= capacity) fail("bad hex in job file");
        out[n++] = (uint8_t)(hi << 4 | lo);
        text += 2;
    }
    return n;
}

static srtp_t make_session(int profile, uint8_t *key, int inbound) {
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    if (srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, (srtp_profile_t)profile) != srtp_err_status_ok
        || srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, (srtp_profile_t)profile) != srtp_err_status_ok) {
        fail("unknown profile");
    }
    policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    policy.key = key;
    policy.window_size = 128;
    srtp_t session;
    if (srtp_create(&session, &policy) != srtp_err_status_ok) fail("srtp_create failed");
    return session;
}

static int interop(const char *path, const char *result_path) {
    FILE *file = fopen(path, "r");
    if (!file) fail("cannot open job file");
    static char line[2 * MAX_PACKET + 64];
    int profile = 0, key_length = 0, started = 0;
    uint8_t key[64];
    srtp_t outbound = NULL, inbound = NULL;
    // Results are printed as they are computed, grouped per kind: keep them in memory first.
    static char *results[KINDS][1024];
    int counts[KINDS] = {0};
    while (fgets(line, sizeof line, file)) {
        char *space = strchr(line, ' ');
        if (!space) continue;
        *space = 0;
        const char *value = space + 1;
        if (strcmp(line, "profile") == 0) { profile = atoi(value); continue; }
        if (strcmp(line, "key") == 0) { key_length = from_hex(value, key, sizeof key); continue; }
        int kind = -1;
        for (int k = 0; k < KINDS; k++) if (strcmp(line, kind_names[k]) == 0) kind = k;
        if (kind < 0) fail("unknown line in job file");
        if (!started) {
            if (profile == 0 || key_length == 0) fail("profile and key must come first");
            outbound = make_session(profile, key, 0);
            inbound = make_session(profile, key, 1);
            started = 1;
        }
        uint8_t packet[MAX_PACKET + SRTP_MAX_TRAILER_LEN + 4];
        int length = from_hex(value, packet, MAX_PACKET);
        srtp_err_status_t status;
        switch (kind) {
        case RTP_PROTECT: status = srtp_protect(outbound, packet, &length); break;
        case RTP_UNPROTECT: status = srtp_unprotect(inbound, packet, &length); break;
        case RTCP_PROTECT: status = srtp_protect_rtcp(outbound, packet, &length); break;
        default: status = srtp_unprotect_rtcp(inbound, packet, &length); break;
        }
        if (counts[kind] >= 1024) fail("too many packets");
        char *text = malloc(2 * (size_t)length + 32);
        if (status == srtp_err_status_ok) {
            for (int i = 0; i < length; i++) sprintf(text + 2 * i, "%02x", packet[i]);
            text[2 * length] = 0;
        } else {
            sprintf(text, "error: srtp_err_status %d", (int)status);
        }
        results[kind][counts[kind]++] = text;
    }
    fclose(file);
    FILE *out = result_path ? fopen(result_path, "w") : stdout;
    if (!out) fail("cannot create result file");
    fprintf(out, "RESULT {");
    for (int k = 0; k < KINDS; k++) {
        fprintf(out, "%s\"%s\": [", k ? ", " : "", kind_names[k]);
        for (int i = 0; i < counts[k]; i++) fprintf(out, "%s\"%s\"", i ? ", " : "", results[k][i]);
        fprintf(out, "]");
    }
    fprintf(out, "}\n");
    if (fflush(out) != 0 || (result_path && fclose(out) != 0)) fail("cannot write the result");
    if (outbound) srtp_dealloc(outbound);
    if (inbound) srtp_dealloc(inbound);
    return 0;
}

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

#define BATCH 256
#define PAYLOAD 1200

static void bench_profile(int profile, const char *name, long packets) {
    uint64_t (*allocations)(void) = (uint64_t (*)(void))dlsym(RTLD_DEFAULT, "srtpbench_allocations");
    int key_length = profile == srtp_profile_aead_aes_128_gcm ? 16 + 12 : 16 + 14;
    uint8_t key[64];
    for (int i = 0; i < key_length; i++) key[i] = (uint8_t)(i * 37 + 11);
    srtp_t sender = make_session(profile, key, 0), receiver = make_session(profile, key, 1);
    static uint8_t slots[BATCH][12 + PAYLOAD + SRTP_MAX_TRAILER_LEN];
    int lengths[BATCH];
    uint8_t plain[12 + PAYLOAD];
    plain[0] = 0x80; plain[1] = 96;
    memcpy(plain + 4, "\x12\x34\x56\x78\xde\xc0\xde\x01", 8);
    for (int i = 0; i < PAYLOAD; i++) plain[12 + i] = (uint8_t)(i * 13);
    uint16_t seq = 1000;
    double protect_ns = 0, unprotect_ns = 0;
    uint64_t protect_allocs = 0, unprotect_allocs = 0;
    long done = 0;
    for (int round = -1; done < packets; round++) {  // round -1 warms up, untimed
        for (int i = 0; i < BATCH; i++) {
            memcpy(slots[i], plain, sizeof plain);
            slots[i][2] = (uint8_t)(seq >> 8); slots[i][3] = (uint8_t)seq;
            seq++;
            lengths[i] = (int)sizeof plain;
        }
        uint64_t a0 = allocations ? allocations() : 0;
        double t0 = now_ns();
        for (int i = 0; i < BATCH; i++)
            if (srtp_protect(sender, slots[i], &lengths[i]) != srtp_err_status_ok) fail("srtp_protect failed");
        double t1 = now_ns();
        uint64_t a1 = allocations ? allocations() : 0;
        for (int i = 0; i < BATCH; i++)
            if (srtp_unprotect(receiver, slots[i], &lengths[i]) != srtp_err_status_ok) fail("srtp_unprotect failed");
        double t2 = now_ns();
        uint64_t a2 = allocations ? allocations() : 0;
        if (round < 0) continue;
        if (lengths[0] != (int)sizeof plain || memcmp(slots[0], plain, 2) != 0) fail("round trip mismatch");
        protect_ns += t1 - t0;
        unprotect_ns += t2 - t1;
        protect_allocs += a1 - a0;
        unprotect_allocs += a2 - a1;
        done += BATCH;
    }
    printf("libsrtp %s protect %.1f %.3f\n", name, protect_ns / (double)done,
           allocations ? (double)protect_allocs / (double)done : -1.0);
    printf("libsrtp %s unprotect %.1f %.3f\n", name, unprotect_ns / (double)done,
           allocations ? (double)unprotect_allocs / (double)done : -1.0);
    srtp_dealloc(sender);
    srtp_dealloc(receiver);
}

int main(int argc, char **argv) {
    if (srtp_init() != srtp_err_status_ok) fail("srtp_init failed");
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "interop") == 0) return interop(argv[2], argc == 4 ? argv[3] : NULL);
    if (argc >= 2 && strcmp(argv[1], "bench") == 0) {
        long packets = argc >= 3 ? atol(argv[2]) : 200000;
        printf("libsrtp version %s\n", srtp_get_version_string());
        bench_profile(srtp_profile_aes128_cm_sha1_80, "SRTP_AES128_CM_HMAC_SHA1_80", packets);
        bench_profile(srtp_profile_aead_aes_128_gcm, "SRTP_AEAD_AES_128_GCM", packets);
        return 0;
    }
    fprintf(stderr, "usage: %s interop JOB_FILE [RESULT_FILE] | bench [PACKETS]\n", argv[0]);
    return 2;
}
