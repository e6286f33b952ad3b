// AES-128 / AES-256 with AES-NI (FIPS-197), and counter mode (SP 800-38A §6.5), with VAES
// (two blocks per 256-bit register) where the key says so.
#include "CRTCCrypto.h"
#include "internal.h"
#include <string.h>

#if defined(__x86_64__)

// FIPS-197 §5.2: each new group of four words is the running XOR of the previous group's
// words, XORed with the broadcast `t` (SubWord(RotWord(w)) ^ Rcon, or SubWord(w)).
CRTC_TARGET static inline __m128i crtc_expand_mix(__m128i previous, __m128i t) {
    __m128i s = previous;
    s = _mm_xor_si128(s, _mm_slli_si128(previous, 4));
    s = _mm_xor_si128(s, _mm_slli_si128(previous, 8));
    s = _mm_xor_si128(s, _mm_slli_si128(previous, 12));
    return _mm_xor_si128(s, t);
}

// Word 3 of AESKEYGENASSIST is RotWord(SubWord(w3)) ^ rcon; word 2 is SubWord(w3).
#define CRTC_ROT_SUB(prev, rcon) _mm_shuffle_epi32(_mm_aeskeygenassist_si128((prev), (rcon)), 0xFF)
#define CRTC_SUB(prev) _mm_shuffle_epi32(_mm_aeskeygenassist_si128((prev), 0), 0xAA)

CRTC_TARGET static void crtc_expand128(__m128i *rk, const uint8_t *bytes) {
    rk[0] = _mm_loadu_si128((const __m128i *)bytes);
    rk[1] = crtc_expand_mix(rk[0], CRTC_ROT_SUB(rk[0], 0x01));
    rk[2] = crtc_expand_mix(rk[1], CRTC_ROT_SUB(rk[1], 0x02));
    rk[3] = crtc_expand_mix(rk[2], CRTC_ROT_SUB(rk[2], 0x04));
    rk[4] = crtc_expand_mix(rk[3], CRTC_ROT_SUB(rk[3], 0x08));
    rk[5] = crtc_expand_mix(rk[4], CRTC_ROT_SUB(rk[4], 0x10));
    rk[6] = crtc_expand_mix(rk[5], CRTC_ROT_SUB(rk[5], 0x20));
    rk[7] = crtc_expand_mix(rk[6], CRTC_ROT_SUB(rk[6], 0x40));
    rk[8] = crtc_expand_mix(rk[7], CRTC_ROT_SUB(rk[7], 0x80));
    rk[9] = crtc_expand_mix(rk[8], CRTC_ROT_SUB(rk[8], 0x1B));
    rk[10] = crtc_expand_mix(rk[9], CRTC_ROT_SUB(rk[9], 0x36));
}

CRTC_TARGET static void crtc_expand256(__m128i *rk, const uint8_t *bytes) {
    rk[0] = _mm_loadu_si128((const __m128i *)bytes);
    rk[1] = _mm_loadu_si128((const __m128i *)(bytes + 16));
    // Nk = 8: words i ≡ 0 (mod 8) take SubWord(RotWord(w[i-1])) ^ Rcon, i ≡ 4 take SubWord(w[i-1]).
    rk[2] = crtc_expand_mix(rk[0], CRTC_ROT_SUB(rk[1], 0x01));
    rk[3] = crtc_expand_mix(rk[1], CRTC_SUB(rk[2]));
    rk[4] = crtc_expand_mix(rk[2], CRTC_ROT_SUB(rk[3], 0x02));
    rk[5] = crtc_expand_mix(rk[3], CRTC_SUB(rk[4]));
    rk[6] = crtc_expand_mix(rk[4], CRTC_ROT_SUB(rk[5], 0x04));
    rk[7] = crtc_expand_mix(rk[5], CRTC_SUB(rk[6]));
    rk[8] = crtc_expand_mix(rk[6], CRTC_ROT_SUB(rk[7], 0x08));
    rk[9] = crtc_expand_mix(rk[7], CRTC_SUB(rk[8]));
    rk[10] = crtc_expand_mix(rk[8], CRTC_ROT_SUB(rk[9], 0x10));
    rk[11] = crtc_expand_mix(rk[9], CRTC_SUB(rk[10]));
    rk[12] = crtc_expand_mix(rk[10], CRTC_ROT_SUB(rk[11], 0x20));
    rk[13] = crtc_expand_mix(rk[11], CRTC_SUB(rk[12]));
    rk[14] = crtc_expand_mix(rk[12], CRTC_ROT_SUB(rk[13], 0x40));
}

int crtc_aes_init(crtc_aes_key *key, const uint8_t *bytes, size_t length) {
    return crtc_aes_init_with(key, bytes, length, 1);
}

int crtc_aes_init_with(crtc_aes_key *key, const uint8_t *bytes, size_t length, int allowWide) {
    memset(key, 0, sizeof *key);
    if (!crtc_cpu_has_aes_gcm()) return -1;
    __m128i *rk = (__m128i *)key->roundKeys;
    if (length == 16) {
        crtc_expand128(rk, bytes);
        key->rounds = 10;
    } else if (length == 32) {
        crtc_expand256(rk, bytes);
        key->rounds = 14;
    } else {
        return -1;
    }
    key->wide = allowWide && crtc_cpu_has_vaes_gcm();
    return 0;
}

CRTC_TARGET void crtc_aes_encrypt_block(const crtc_aes_key *key, const uint8_t in[16], uint8_t out[16]) {
    _mm_storeu_si128((__m128i *)out, crtc_aes_block(key, _mm_loadu_si128((const __m128i *)in)));
}

// Eight blocks at a time keep the AES units busy (each AESENC waits on the one before it in
// the same block, not on the other blocks).
CRTC_TARGET void crtc_aes_ctr8(const crtc_aes_key *key, __m128i b[8]) {
    const __m128i *rk = (const __m128i *)key->roundKeys;
    for (int i = 0; i < 8; i++) b[i] = _mm_xor_si128(b[i], rk[0]);
    for (int r = 1; r < key->rounds; r++) {
        __m128i k = rk[r];
        for (int i = 0; i < 8; i++) b[i] = _mm_aesenc_si128(b[i], k);
    }
    __m128i last = rk[key->rounds];
    for (int i = 0; i < 8; i++) b[i] = _mm_aesenclast_si128(b[i], last);
}

// Sixteen blocks (eight registers) per step: VAESENC has the latency of AESENC but does two
// blocks, so twice as many must be in flight to keep the units busy.
CRTC_TARGET_WIDE void crtc_ctr32_xor_wide(const crtc_aes_key *key, const uint8_t cb[16], uint8_t *data, size_t length) {
    __m256i ctr = crtc_counter_pair(cb);
    __m256i rk0 = crtc_round_key2(key, 0);
    while (length >= 256) {
        __m256i b[8];
        crtc_counters2(&ctr, rk0, b, 8);
        crtc_aes_rounds2(key, b, 8);
        CRTC_UNROLL for (int i = 0; i < 8; i++) {
            __m256i d = _mm256_loadu_si256((const __m256i *)(data + 32 * i));
            _mm256_storeu_si256((__m256i *)(data + 32 * i), _mm256_xor_si256(d, b[i]));
        }
        data += 256;
        length -= 256;
    }
    if (length == 0) return;
    // The rest: no more registers than needed up to 128 bytes, the keystream through memory so
    // nothing past `length` is read or written.
    uint8_t ks[256];
    __m256i b[8];
    if (length <= 128) {
        crtc_counters2(&ctr, rk0, b, 4);
        crtc_aes_rounds2(key, b, 4);
        CRTC_UNROLL for (int i = 0; i < 4; i++) _mm256_storeu_si256((__m256i *)(ks + 32 * i), b[i]);
    } else {
        crtc_counters2(&ctr, rk0, b, 8);
        crtc_aes_rounds2(key, b, 8);
        CRTC_UNROLL for (int i = 0; i < 8; i++) _mm256_storeu_si256((__m256i *)(ks + 32 * i), b[i]);
    }
    size_t i = 0;
    for (; i + 32 <= length; i += 32) {
        __m256i d = _mm256_loadu_si256((const __m256i *)(data + i));
        _mm256_storeu_si256((__m256i *)(data + i), _mm256_xor_si256(d, _mm256_loadu_si256((const __m256i *)(ks + i))));
    }
    for (; i < length; i++) data[i] ^= ks[i];
}

/// Counter mode with the 32-bit-counter code: run up to each wrap of the low 32 bits, then carry
/// into the upper 96 by hand (SRTP's counters never get there, but the mode is defined on 128 bits).
static void crtc_aes_ctr_xor_wide(const crtc_aes_key *key, const uint8_t counter[16], uint8_t *data, size_t length) {
    uint8_t cb[16];
    memcpy(cb, counter, 16);
    while (length > 0) {
        uint32_t low = (uint32_t)cb[12] << 24 | (uint32_t)cb[13] << 16 | (uint32_t)cb[14] << 8 | cb[15];
        uint64_t untilWrap = (uint64_t)1 << 32;
        untilWrap -= low;  // blocks before the low word wraps to 0
        size_t run = length / 16 >= untilWrap ? (size_t)(untilWrap * 16) : length;
        crtc_ctr32_xor_wide(key, cb, data, run);
        data += run;
        length -= run;
        // A run that ends before the data does ended at the wrap: the low word is 0 now, and
        // the carry goes into the upper 96 bits.
        memset(cb + 12, 0, 4);
        for (int i = 11; i >= 0 && ++cb[i] == 0; i--) {}
    }
}

CRTC_TARGET void crtc_aes_ctr_xor(const crtc_aes_key *key, const uint8_t counter[16], uint8_t *data, size_t length) {
    if (key->wide) {
        crtc_aes_ctr_xor_wide(key, counter, data, length);
        return;
    }
    uint64_t hi, lo;
    memcpy(&hi, counter, 8);
    memcpy(&lo, counter + 8, 8);
    hi = __builtin_bswap64(hi);
    lo = __builtin_bswap64(lo);
    while (length > 0) {
        __m128i b[8];
        for (int i = 0; i < 8; i++) {
            b[i] = _mm_set_epi64x((long long)__builtin_bswap64(lo), (long long)__builtin_bswap64(hi));
            if (++lo == 0) hi++;
        }
        crtc_aes_ctr8(key, b);
        size_t chunk = crtc_xor_keystream8(b, data, length);
        data += chunk;
        length -= chunk;
    }
}

#else  // not x86-64: no AES here; callers use their fallback.

int crtc_aes_init(crtc_aes_key *key, const uint8_t *bytes, size_t length) {
    return crtc_aes_init_with(key, bytes, length, 1);
}

int crtc_aes_init_with(crtc_aes_key *key, const uint8_t *bytes, size_t length, int allowWide) {
    (void)bytes; (void)length; (void)allowWide;
    memset(key, 0, sizeof *key);
    return -1;
}

void crtc_aes_encrypt_block(const crtc_aes_key *key, const uint8_t in[16], uint8_t out[16]) {
    (void)key; (void)in;
    memset(out, 0, 16);
}

void crtc_aes_ctr_xor(const crtc_aes_key *key, const uint8_t counter[16], uint8_t *data, size_t length) {
    (void)key; (void)counter; (void)data; (void)length;
}

#endif
