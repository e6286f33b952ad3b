// SHA-1 (FIPS 180-4 §6.1) — portable C and SHA-NI — and HMAC-SHA1 (RFC 2104) with the inner
// and outer states prepared once per key.
#include "CRTCCrypto.h"
#include "internal.h"
#include <string.h>

static const uint32_t crtc_sha1_initial[5] = { 0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u };

static inline uint32_t crtc_rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static inline uint32_t crtc_load_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void crtc_store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/// FIPS 180-4 §6.1.2 over `blocks` 64-byte blocks, portable.
static void crtc_sha1_portable(uint32_t state[5], const uint8_t *data, size_t blocks) {
    while (blocks-- > 0) {
        uint32_t w[80];
        for (int t = 0; t < 16; t++) w[t] = crtc_load_be32(data + 4 * t);
        for (int t = 16; t < 80; t++) w[t] = crtc_rol(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
        for (int t = 0; t < 80; t++) {
            uint32_t f, k;
            if (t < 20) { f = (b & c) | (~b & d); k = 0x5A827999u; }
            else if (t < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1u; }
            else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDCu; }
            else { f = b ^ c ^ d; k = 0xCA62C1D6u; }
            uint32_t temp = crtc_rol(a, 5) + f + e + k + w[t];
            e = d; d = c; c = crtc_rol(b, 30); b = a; a = temp;
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d; state[4] += e;
        data += 64;
    }
}

#if defined(__x86_64__)

// SHA-NI: SHA1RNDS4 runs four rounds on A:B:C:D (A in the top word) with the four schedule
// words in its second operand, E folded into the top one; SHA1NEXTE derives the next E
// (ROL30 of the A from four rounds earlier) and adds it to the next four words; SHA1MSG1 /
// SHA1MSG2 (with one XOR between) compute W[t] = ROL1(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16]).
#define CRTC_SHA1_GROUP(g, f)                                                                 \
    do {                                                                                      \
        if ((g) >= 4)                                                                         \
            w[(g) & 3] = _mm_sha1msg2_epu32(                                                  \
                _mm_xor_si128(_mm_sha1msg1_epu32(w[(g) & 3], w[((g) + 1) & 3]), w[((g) + 2) & 3]), \
                w[((g) + 3) & 3]);                                                            \
        __m128i we = (g) == 0 ? _mm_add_epi32(e, w[0]) : _mm_sha1nexte_epu32(previous, w[(g) & 3]); \
        previous = abcd;                                                                      \
        abcd = _mm_sha1rnds4_epu32(abcd, we, (f));                                            \
    } while (0)

CRTC_TARGET_SHA static void crtc_sha1_shani(uint32_t state[5], const uint8_t *data, size_t blocks) {
    const __m128i reverse = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)state), 0x1B);
    __m128i e = _mm_set_epi32((int)state[4], 0, 0, 0);
    while (blocks-- > 0) {
        __m128i savedABCD = abcd, savedE = e, previous = abcd;
        __m128i w[4];
        for (int i = 0; i < 4; i++) w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), reverse);
        CRTC_SHA1_GROUP(0, 0); CRTC_SHA1_GROUP(1, 0); CRTC_SHA1_GROUP(2, 0); CRTC_SHA1_GROUP(3, 0); CRTC_SHA1_GROUP(4, 0);
        CRTC_SHA1_GROUP(5, 1); CRTC_SHA1_GROUP(6, 1); CRTC_SHA1_GROUP(7, 1); CRTC_SHA1_GROUP(8, 1); CRTC_SHA1_GROUP(9, 1);
        CRTC_SHA1_GROUP(10, 2); CRTC_SHA1_GROUP(11, 2); CRTC_SHA1_GROUP(12, 2); CRTC_SHA1_GROUP(13, 2); CRTC_SHA1_GROUP(14, 2);
        CRTC_SHA1_GROUP(15, 3); CRTC_SHA1_GROUP(16, 3); CRTC_SHA1_GROUP(17, 3); CRTC_SHA1_GROUP(18, 3); CRTC_SHA1_GROUP(19, 3);
        // E after 80 rounds is ROL30 of A before the last four, plus the saved E.
        e = _mm_sha1nexte_epu32(previous, savedE);
        abcd = _mm_add_epi32(abcd, savedABCD);
        data += 64;
    }
    _mm_storeu_si128((__m128i *)state, _mm_shuffle_epi32(abcd, 0x1B));
    state[4] = (uint32_t)_mm_extract_epi32(e, 3);
}

#endif

static void crtc_sha1_blocks(uint32_t state[5], const uint8_t *data, size_t blocks, int accelerated) {
#if defined(__x86_64__)
    if (accelerated) { crtc_sha1_shani(state, data, blocks); return; }
#else
    (void)accelerated;
#endif
    crtc_sha1_portable(state, data, blocks);
}

/// Hashes `prefixLength` bytes already absorbed (a multiple of 64) plus data ‖ data2, from
/// `state`, with the final padding (FIPS 180-4 §5.1.1), and writes the digest.
static void crtc_sha1_finish(uint32_t state[5], uint64_t prefixLength, const uint8_t *data, size_t length,
                             const uint8_t *data2, size_t length2, uint8_t digest[20], int accelerated) {
    uint64_t total = prefixLength + length + length2;
    size_t whole = length / 64;
    if (whole > 0) crtc_sha1_blocks(state, data, whole, accelerated);
    data += 64 * whole;
    length -= 64 * whole;
    uint8_t tail[128];
    size_t n = 0;
    if (length > 0) memcpy(tail, data, length);
    n = length;
    // data2 is short in SRTP (a 4-byte ROC) but may be anything: stream it through `tail`.
    while (length2 > 0) {
        size_t take = 64 - n < length2 ? 64 - n : length2;
        memcpy(tail + n, data2, take);
        n += take;
        data2 += take;
        length2 -= take;
        if (n == 64) { crtc_sha1_blocks(state, tail, 1, accelerated); n = 0; }
    }
    tail[n++] = 0x80;
    size_t padded = n <= 56 ? 64 : 128;
    memset(tail + n, 0, padded - n);
    uint64_t bits = total * 8;
    for (int i = 0; i < 8; i++) tail[padded - 1 - i] = (uint8_t)(bits >> (8 * i));
    crtc_sha1_blocks(state, tail, padded / 64, accelerated);
    for (int i = 0; i < 5; i++) crtc_store_be32(digest + 4 * i, state[i]);
}

void crtc_sha1(const uint8_t *data, size_t length, uint8_t digest[20], int accelerate) {
    uint32_t state[5];
    memcpy(state, crtc_sha1_initial, sizeof state);
    crtc_sha1_finish(state, 0, data, length, NULL, 0, digest, accelerate && crtc_cpu_has_sha());
}

void crtc_hmac_sha1_init(crtc_hmac_sha1_key *key, const uint8_t *bytes, size_t length, int accelerate) {
    key->accelerated = accelerate && crtc_cpu_has_sha();
    uint8_t k[64] = {0};
    if (length > 64) crtc_sha1(bytes, length, k, key->accelerated);
    else if (length > 0) memcpy(k, bytes, length);
    uint8_t pad[64];
    for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
    memcpy(key->inner, crtc_sha1_initial, sizeof key->inner);
    crtc_sha1_blocks(key->inner, pad, 1, key->accelerated);
    for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5C;
    memcpy(key->outer, crtc_sha1_initial, sizeof key->outer);
    crtc_sha1_blocks(key->outer, pad, 1, key->accelerated);
}

void crtc_hmac_sha1(const crtc_hmac_sha1_key *key, const uint8_t *data, size_t length,
                    const uint8_t *data2, size_t length2, uint8_t mac[20]) {
    uint32_t state[5];
    uint8_t inner[20];
    memcpy(state, key->inner, sizeof state);
    crtc_sha1_finish(state, 64, data, length, data2, length2, inner, key->accelerated);
    memcpy(state, key->outer, sizeof state);
    crtc_sha1_finish(state, 64, inner, 20, NULL, 0, mac, key->accelerated);
}

int crtc_hmac_sha1_verify(const crtc_hmac_sha1_key *key, const uint8_t *data, size_t length,
                          const uint8_t *data2, size_t length2, const uint8_t *tag, size_t tagLength) {
    uint8_t mac[20];
    if (tagLength > 20) return 0;
    crtc_hmac_sha1(key, data, length, data2, length2, mac);
    return crtc_equal_constant_time(mac, tag, tagLength);
}
