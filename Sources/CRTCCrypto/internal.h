// Shared inline helpers of CRTCCrypto (not part of the public header).
#ifndef CRTC_INTERNAL_H
#define CRTC_INTERNAL_H

#include "CRTCCrypto.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define CRTC_TARGET __attribute__((target("aes,pclmul,ssse3,sse4.1")))
#define CRTC_TARGET_SHA __attribute__((target("sha,ssse3,sse4.1")))
/// The 256-bit code: VAES / VPCLMULQDQ on ymm registers only (no AVX-512).
#define CRTC_TARGET_WIDE __attribute__((target("vaes,vpclmulqdq,avx2,aes,pclmul,ssse3,sse4.1")))

/// 128-bit logical shifts of a whole register.
#define CRTC_SHL128(x, n) _mm_or_si128(_mm_slli_epi64((x), (n)), _mm_slli_si128(_mm_srli_epi64((x), 64 - (n)), 8))
#define CRTC_SHR128(x, n) _mm_or_si128(_mm_srli_epi64((x), (n)), _mm_srli_si128(_mm_slli_epi64((x), 64 - (n)), 8))
/// x << n for 64 <= n < 128.
#define CRTC_SHL128_HIGH(x, n) _mm_slli_si128(_mm_slli_epi64((x), (n) - 64), 8)

/// The first step of both GHASH reductions (crtc_reduce, crtc_reduce_clmul): folds the middle
/// term into the 256-bit carry-less product hi·2^128 + lo, then shifts it left by one, which
/// makes it the reflected product.
#define CRTC_REFLECT_PRODUCT(lo, mid, hi) do { \
        (lo) = _mm_xor_si128((lo), _mm_slli_si128((mid), 8)); \
        (hi) = _mm_xor_si128((hi), _mm_srli_si128((mid), 8)); \
        __m128i crtcCarry = _mm_srli_si128(_mm_srli_epi64((lo), 63), 8); \
        (hi) = _mm_or_si128(CRTC_SHL128((hi), 1), crtcCarry); \
        (lo) = CRTC_SHL128((lo), 1); \
    } while (0)

/// A block to a reflected field element and back (see gcm.c).
CRTC_TARGET static inline __m128i crtc_reverse_bytes(__m128i x) {
    const __m128i mask = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm_shuffle_epi8(x, mask);
}

/// The `n` (0 … 16) bytes at p, zero-padded to a block, without touching memory past them
/// (and without a call to memcpy: two overlapping loads cover 4 … 16 bytes).
CRTC_TARGET static inline __m128i crtc_load_partial(const uint8_t *p, size_t n) {
    uint64_t lo = 0, hi = 0;
    if (n >= 8) {
        memcpy(&lo, p, 8);
        if (n > 8) {
            uint64_t t;
            memcpy(&t, p + n - 8, 8);  // bytes n-8 … n-1: byte 8 sits 16-n bytes up
            hi = t >> (8 * (16 - n));
        }
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        lo = a | ((uint64_t)b >> (8 * (8 - n))) << 32;
    } else if (n > 0) {
        lo = p[0] | (uint64_t)p[n / 2] << (8 * (n / 2)) | (uint64_t)p[n - 1] << (8 * (n - 1));
    }
    return _mm_set_epi64x((long long)hi, (long long)lo);
}

/// Writes the first `n` (0 … 16) bytes of v to p, as crtc_load_partial reads them.
CRTC_TARGET static inline void crtc_store_partial(uint8_t *p, size_t n, __m128i v) {
    uint8_t t[16];
    _mm_storeu_si128((__m128i *)t, v);
    if (n >= 8) {
        memcpy(p, t, 8);
        memcpy(p + n - 8, t + n - 8, 8);
    } else if (n >= 4) {
        memcpy(p, t, 4);
        memcpy(p + n - 4, t + n - 4, 4);
    } else if (n > 0) {
        p[0] = t[0];
        p[n / 2] = t[n / 2];
        p[n - 1] = t[n - 1];
    }
}

/// An AAD of at most 32 bytes (aad ‖ aad2) as two zero-padded reflected blocks.
CRTC_TARGET static inline void crtc_aad_blocks(const uint8_t *aad, size_t aadLength, const uint8_t *aad2,
                                               size_t aad2Length, __m128i *pre0, __m128i *pre1) {
    size_t n = aadLength + aad2Length;
    __m128i a0, a1 = _mm_setzero_si128();
    if (aadLength == 0 || aad2Length == 0) {
        const uint8_t *p = aadLength ? aad : aad2;
        a0 = crtc_load_partial(p, n < 16 ? n : 16);
        if (n > 16) a1 = crtc_load_partial(p + 16, n - 16);
    } else {  // both parts (SRTCP's index after the header): joined in memory
        uint8_t b[32] = {0};
        memcpy(b, aad, aadLength);
        memcpy(b + aadLength, aad2, aad2Length);
        a0 = _mm_loadu_si128((const __m128i *)b);
        a1 = _mm_loadu_si128((const __m128i *)(b + 16));
    }
    *pre0 = crtc_reverse_bytes(a0);
    *pre1 = crtc_reverse_bytes(a1);
}

/// GHASH of the AAD alone on the 128-bit code (gcm.c), for one longer than 32 bytes.
CRTC_TARGET __m128i crtc_ghash_aad(const crtc_gcm_key *key, const uint8_t *aad, size_t aadLength,
                                   const uint8_t *aad2, size_t aad2Length);

/// One AES block encryption with the expanded key.
CRTC_TARGET static inline __m128i crtc_aes_block(const crtc_aes_key *key, __m128i b) {
    const __m128i *rk = (const __m128i *)key->roundKeys;
    b = _mm_xor_si128(b, rk[0]);
    for (int r = 1; r < key->rounds; r++) b = _mm_aesenc_si128(b, rk[r]);
    return _mm_aesenclast_si128(b, rk[key->rounds]);
}

/// Fills the GHASH key powers H^1 … H^8 from H = E(0^128).
CRTC_TARGET void crtc_gcm_powers(crtc_gcm_key *key, const uint8_t h[16]);
/// Encrypts the eight blocks of `b` in place.
CRTC_TARGET void crtc_aes_ctr8(const crtc_aes_key *key, __m128i b[8]);

/// XORs up to 128 bytes of keystream (the eight encrypted counter blocks `ks`) over `data`:
/// whole blocks with vector loads, a trailing partial block byte by byte. Returns `chunk`.
CRTC_TARGET static inline size_t crtc_xor_keystream8(const __m128i ks[8], uint8_t *data, size_t length) {
    size_t chunk = length < 128 ? length : 128;
    size_t whole = chunk / 16;
    for (size_t i = 0; i < whole; i++) {
        __m128i d = _mm_loadu_si128((const __m128i *)(data + 16 * i));
        _mm_storeu_si128((__m128i *)(data + 16 * i), _mm_xor_si128(d, ks[i]));
    }
    if (chunk % 16) {
        uint8_t tail[16];
        _mm_storeu_si128((__m128i *)tail, ks[whole]);
        for (size_t i = 0; i < chunk % 16; i++) data[16 * whole + i] ^= tail[i];
    }
    return chunk;
}

/// Fully unrolls a loop over registers, so the blocks stay in registers (GCC does not at -O2).
#define CRTC_UNROLL _Pragma("GCC unroll 8")

/// Round key `r` in both 128-bit lanes: VAESENC runs one AES round on each lane.
CRTC_TARGET_WIDE static inline __m256i crtc_round_key2(const crtc_aes_key *key, int r) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)key->roundKeys + r));
}

/// Byte-swaps the last 32-bit word of each lane. A counter block's big-endian 32-bit counter
/// becomes a native word that _mm256_add_epi32 steps modulo 2^32, which is exactly inc32
/// (SP 800-38D §6.2); the same shuffle turns it back.
CRTC_TARGET_WIDE static inline __m256i crtc_swap_counter2(__m256i x) {
    const __m256i mask = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 14, 13, 12,
                                          0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 14, 13, 12);
    return _mm256_shuffle_epi8(x, mask);
}

/// The register pair of counter blocks [cb | inc32(cb)] in the swapped form, from the 16 bytes at `cb`.
CRTC_TARGET_WIDE static inline __m256i crtc_counter_pair(const uint8_t cb[16]) {
    __m256i both = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)cb));
    return _mm256_add_epi32(crtc_swap_counter2(both), _mm256_set_epi32(1, 0, 0, 0, 0, 0, 0, 0));
}

/// Counter blocks for the next `n` registers (2n blocks) from the swapped pair `*ctr`, XORed
/// with round key 0, and `*ctr` stepped past them. `n` is a constant at each call.
CRTC_TARGET_WIDE static inline __attribute__((always_inline))
void crtc_counters2(__m256i *ctr, __m256i rk0, __m256i *b, int n) {
    CRTC_UNROLL for (int i = 0; i < n; i++) {
        __m256i c = _mm256_add_epi32(*ctr, _mm256_set_epi32(2 * i, 0, 0, 0, 2 * i, 0, 0, 0));
        b[i] = _mm256_xor_si256(crtc_swap_counter2(c), rk0);
    }
    *ctr = _mm256_add_epi32(*ctr, _mm256_set_epi32(2 * n, 0, 0, 0, 2 * n, 0, 0, 0));
}

/// Runs AES rounds 1 … Nr on `n` registers already XORed with round key 0 (`n` constant at
/// each call). All `n` are independent, so the VAESENC latency is covered.
CRTC_TARGET_WIDE static inline __attribute__((always_inline))
void crtc_aes_rounds2(const crtc_aes_key *key, __m256i *b, int n) {
    for (int r = 1; r < key->rounds; r++) {
        __m256i k = crtc_round_key2(key, r);
        CRTC_UNROLL for (int i = 0; i < n; i++) b[i] = _mm256_aesenc_epi128(b[i], k);
    }
    __m256i last = crtc_round_key2(key, key->rounds);
    CRTC_UNROLL for (int i = 0; i < n; i++) b[i] = _mm256_aesenclast_epi128(b[i], last);
}

/// XORs the keystream E(cb), E(inc32(cb)), E(inc32(inc32(cb))), … over `data`: the GCTR
/// counters of SP 800-38D §6.5 (the 32-bit counter wraps; the rest of the block stays).
/// Needs crtc_cpu_has_vaes_gcm().
CRTC_TARGET_WIDE void crtc_ctr32_xor_wide(const crtc_aes_key *key, const uint8_t cb[16], uint8_t *data, size_t length);
/// Seals (`sealing` 1) or decrypts (0) `data` in place on the 256-bit code (gcm_wide.c) and
/// returns the tag over the ciphertext. Needs key->aes.wide.
CRTC_TARGET_WIDE __m128i crtc_gcm_wide(const crtc_gcm_key *key, const uint8_t iv[12],
                                      const uint8_t *aad, size_t aadLength, const uint8_t *aad2, size_t aad2Length,
                                      uint8_t *data, size_t length, int sealing);
#endif

#endif
