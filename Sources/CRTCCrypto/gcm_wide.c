// AES-GCM on the 256-bit path (VAES, VPCLMULQDQ; key->aes.wide): two blocks per ymm register,
// each 128-bit lane a block in the reflected form of gcm.c. Lanes never mix until a sum is
// reduced, so the 128-bit reduction serves after the two lanes' partial products are XORed.
//
// Per packet, the fixed cost weighs as much as the bulk rate (SRTP packets of 100–1,200 bytes,
// DTLS records): the length block joins the last sum of the ciphertext and, below 256 bytes of
// payload, an AAD of up to 32 bytes the first, so such a packet takes one reduction (two past 16
// blocks) where it took three or four; E(J0) is encrypted in the first AES step, beside the
// keystream, instead of after the hash.
#include "CRTCCrypto.h"
#include "internal.h"
#include <string.h>

#if defined(__x86_64__)

/// Byte-reverses each lane: two blocks to two reflected field elements.
CRTC_TARGET_WIDE static inline __m256i crtc_reverse_bytes2(__m256i x) {
    const __m256i mask = _mm256_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
                                          15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    return _mm256_shuffle_epi8(x, mask);
}

/// Unreduced sums of products, one per lane, in the lo / mid / hi form of crtc_reduce (gcm.c).
typedef struct {
    __m256i lo, mid, hi;
} crtc_acc2;

/// hWide read as sixteen consecutive blocks H^16, H^15, …, H^1: H^q sits at block 16 - q, and
/// the 32 bytes there hold H^q and H^(q-1), the powers of two consecutive blocks of a sum.
CRTC_TARGET_WIDE static inline size_t crtc_power_offset(int q) {
    return 16 * (size_t)(16 - q);
}

/// a += x · [H^q | H^(q-1)] lane by lane (2 ≤ q ≤ 16). Karatsuba as in crtc_ghash_blocks: mid
/// is completed with lo ^ hi after the sum.
CRTC_TARGET_WIDE static inline void crtc_mul_acc_pair(const crtc_gcm_key *key, int q, __m256i x, crtc_acc2 *a) {
    size_t at = crtc_power_offset(q);
    __m256i h = _mm256_loadu_si256((const __m256i *)((const uint8_t *)key->hWide + at));
    __m256i halves = _mm256_loadu_si256((const __m256i *)((const uint8_t *)key->hWideHalves + at));
    a->lo = _mm256_xor_si256(a->lo, _mm256_clmulepi64_epi128(x, h, 0x00));
    a->hi = _mm256_xor_si256(a->hi, _mm256_clmulepi64_epi128(x, h, 0x11));
    __m256i xHalves = _mm256_xor_si256(x, _mm256_shuffle_epi32(x, 0x4E));
    a->mid = _mm256_xor_si256(a->mid, _mm256_clmulepi64_epi128(xHalves, halves, 0x00));
}

/// a += x · H^q (1 ≤ q ≤ 16) for a single block, in the low lane.
CRTC_TARGET_WIDE static inline void crtc_mul_acc_one(const crtc_gcm_key *key, int q, __m128i x, crtc_acc2 *a) {
    size_t at = crtc_power_offset(q);
    __m128i h = _mm_loadu_si128((const __m128i *)((const uint8_t *)key->hWide + at));
    __m128i halves = _mm_loadu_si128((const __m128i *)((const uint8_t *)key->hWideHalves + at));
    a->lo = _mm256_xor_si256(a->lo, _mm256_zextsi128_si256(_mm_clmulepi64_si128(x, h, 0x00)));
    a->hi = _mm256_xor_si256(a->hi, _mm256_zextsi128_si256(_mm_clmulepi64_si128(x, h, 0x11)));
    __m128i xHalves = _mm_xor_si128(x, _mm_shuffle_epi32(x, 0x4E));
    a->mid = _mm256_xor_si256(a->mid, _mm256_zextsi128_si256(_mm_clmulepi64_si128(xHalves, halves, 0x00)));
}

/// a += X_0·H^q ^ X_1·H^(q-1) ^ … for `n` blocks at p (n ≤ q ≤ 16): pairs, then an odd block alone.
CRTC_TARGET_WIDE static inline void crtc_mul_acc_blocks(const crtc_gcm_key *key, const uint8_t *p, size_t n, int q,
                                                        crtc_acc2 *a) {
    size_t k = 0;
    for (; k + 2 <= n; k += 2)
        crtc_mul_acc_pair(key, q - (int)k, crtc_reverse_bytes2(_mm256_loadu_si256((const __m256i *)(p + 16 * k))), a);
    if (k < n) crtc_mul_acc_one(key, q - (int)k, crtc_reverse_bytes(_mm_loadu_si128((const __m128i *)(p + 16 * k))), a);
}

/// a += the `nPre` (0 … 2) AAD blocks pre0, pre1 times H^q, H^(q-1).
CRTC_TARGET_WIDE static inline void crtc_mul_acc_pre(const crtc_gcm_key *key, int nPre, __m128i pre0, __m128i pre1,
                                                     int q, crtc_acc2 *a) {
    if (nPre == 2) crtc_mul_acc_pair(key, q, _mm256_set_m128i(pre1, pre0), a);
    else if (nPre == 1) crtc_mul_acc_one(key, q, pre0, a);
}

/// crtc_reduce with most of its shifts done by two carry-less multiplies: in the bulk loop the
/// shifts compete with the AES rounds for the vector units, the multiplier less so (a few per cent
/// at 1,200 bytes). After the shift by one, c_hi (`lo`) is folded as
/// c_hi·(x^7 + x^2 + x + 1). With C = 2^63 + 2^62 + 2^57, the low 64 bits of lo0·C, moved up by
/// 64, are exactly `overflow` there; and for t = [t1:t0], (t >> 1) ^ (t >> 2) ^ (t >> 7) is
/// t·(2^6 + 2^5 + 1) >> 7 = t·C >> 64 = t1·C ^ (t0·C >> 64), with t0 = lo0.
CRTC_TARGET static inline __m128i crtc_reduce_clmul(__m128i lo, __m128i mid, __m128i hi) {
    // R = P << 1 (256-bit): the reflected product.
    CRTC_REFLECT_PRODUCT(lo, mid, hi);
    const __m128i c = _mm_set_epi64x(0, (long long)0xC200000000000000ull);
    __m128i m = _mm_clmulepi64_si128(lo, c, 0x00);          // lo0·C
    __m128i t = _mm_xor_si128(lo, _mm_slli_si128(m, 8));    // lo ^ overflow
    __m128i n = _mm_clmulepi64_si128(t, c, 0x01);           // t1·C
    __m128i r = _mm_xor_si128(_mm_xor_si128(t, n), _mm_srli_si128(m, 8));
    return _mm_xor_si128(hi, r);
}

/// Adds the two lanes' sums and reduces once.
CRTC_TARGET_WIDE static inline __m128i crtc_reduce2(crtc_acc2 a) {
    __m128i lo = _mm_xor_si128(_mm256_castsi256_si128(a.lo), _mm256_extracti128_si256(a.lo, 1));
    __m128i mid = _mm_xor_si128(_mm256_castsi256_si128(a.mid), _mm256_extracti128_si256(a.mid, 1));
    __m128i hi = _mm_xor_si128(_mm256_castsi256_si128(a.hi), _mm256_extracti128_si256(a.hi, 1));
    mid = _mm_xor_si128(mid, _mm_xor_si128(lo, hi));
    return crtc_reduce_clmul(lo, mid, hi);
}

CRTC_TARGET_WIDE static inline crtc_acc2 crtc_acc2_zero(void) {
    crtc_acc2 a = { _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256() };
    return a;
}

/// The last sums of a packet: Y over [the nPre AAD blocks (Y is 0 then)] ‖ [`whole` blocks at p]
/// ‖ [`last` (as stored), if hasLast] ‖ [the length block (reflected)], at most 16 blocks per reduction. Y itself is
/// multiplied as a term of its own (Y·H^n ^ X_1·H^n ^ …), so the other products need not wait for it.
CRTC_TARGET_WIDE static __m128i crtc_ghash_final(const crtc_gcm_key *key, __m128i y, int nPre, __m128i pre0, __m128i pre1,
                                                 const uint8_t *p, size_t whole, __m128i last, int hasLast,
                                                 __m128i lengths) {
    size_t total = (size_t)nPre + whole + (hasLast != 0) + 1;
    while (total > 16) {  // only past 15 blocks of payload: a full sum first
        size_t n = whole < 16 - (size_t)nPre ? whole : 16 - (size_t)nPre;
        int q = nPre + (int)n;
        crtc_acc2 a = crtc_acc2_zero();
        if (nPre) crtc_mul_acc_pre(key, nPre, pre0, pre1, q, &a);
        else crtc_mul_acc_one(key, q, y, &a);
        crtc_mul_acc_blocks(key, p, n, q - nPre, &a);
        y = crtc_reduce2(a);
        p += 16 * n;
        whole -= n;
        total -= (size_t)nPre + n;
        nPre = 0;
    }
    int q = (int)total;
    crtc_acc2 a = crtc_acc2_zero();
    if (nPre) crtc_mul_acc_pre(key, nPre, pre0, pre1, q, &a);
    else crtc_mul_acc_one(key, q, y, &a);
    crtc_mul_acc_blocks(key, p, whole, q - nPre, &a);
    if (hasLast) crtc_mul_acc_pair(key, 2, _mm256_set_m128i(lengths, crtc_reverse_bytes(last)), &a);
    else crtc_mul_acc_one(key, 1, lengths, &a);
    return crtc_reduce2(a);
}

/// Encrypts `nAes` registers (2, 4 or 8, a constant at each call) of counter blocks into `b`,
/// while hashing `nHash` registers (0, 4 or 8: 2·nHash blocks) at `hash` into *y, and, when `j0`
/// is not NULL, encrypting the block *j0 in place. The rounds and the multiplies do not depend on
/// each other, so interleaving them keeps the AES and the carry-less multiply units busy at once.
CRTC_TARGET_WIDE static inline __attribute__((always_inline))
void crtc_gcm_aes_hash2(const crtc_gcm_key *key, __m256i *ctr, __m256i *b, int nAes,
                        const uint8_t *hash, int nHash, __m128i *y, __m128i *j0) {
    const crtc_aes_key *aes = &key->aes;
    __m256i rk0 = crtc_round_key2(aes, 0);
    crtc_counters2(ctr, rk0, b, nAes);
    __m128i j = j0 ? _mm_xor_si128(*j0, _mm256_castsi256_si128(rk0)) : _mm_setzero_si128();
    crtc_acc2 a = crtc_acc2_zero();
    CRTC_UNROLL for (int r = 1; r <= 8; r++) {  // every key has at least 10 rounds
        __m256i k = crtc_round_key2(aes, r);
        CRTC_UNROLL for (int i = 0; i < nAes; i++) b[i] = _mm256_aesenc_epi128(b[i], k);
        if (j0) j = _mm_aesenc_si128(j, _mm256_castsi256_si128(k));
        if (r <= nHash) {
            __m256i x = crtc_reverse_bytes2(_mm256_loadu_si256((const __m256i *)(hash + 32 * (r - 1))));
            if (r == 1) x = _mm256_xor_si256(x, _mm256_zextsi128_si256(*y));
            crtc_mul_acc_pair(key, 2 * (nHash - r + 1), x, &a);
        }
    }
    for (int r = 9; r < aes->rounds; r++) {
        __m256i k = crtc_round_key2(aes, r);
        CRTC_UNROLL for (int i = 0; i < nAes; i++) b[i] = _mm256_aesenc_epi128(b[i], k);
        if (j0) j = _mm_aesenc_si128(j, _mm256_castsi256_si128(k));
    }
    __m256i last = crtc_round_key2(aes, aes->rounds);
    CRTC_UNROLL for (int i = 0; i < nAes; i++) b[i] = _mm256_aesenclast_epi128(b[i], last);
    if (j0) *j0 = _mm_aesenclast_si128(j, _mm256_castsi256_si128(last));
    if (nHash > 0) *y = crtc_reduce2(a);
}

/// One step of the bulk loop: crtc_gcm_aes_hash2 on eight registers, then the keystream XORed
/// over 256 bytes of `data`. `hash` may be `data`: it is read before `data` is written.
CRTC_TARGET_WIDE static inline __attribute__((always_inline))
__m128i crtc_gcm_step2(const crtc_gcm_key *key, __m256i *ctr, uint8_t *data, const uint8_t *hash, int nHash,
                       __m128i y, __m128i *j0) {
    __m256i b[8];
    crtc_gcm_aes_hash2(key, ctr, b, 8, hash, nHash, &y, j0);
    CRTC_UNROLL for (int i = 0; i < 8; i++) {
        __m256i d = _mm256_loadu_si256((const __m256i *)(data + 32 * i));
        _mm256_storeu_si256((__m256i *)(data + 32 * i), _mm256_xor_si256(d, b[i]));
    }
    return y;
}

/// The keystream for the last `length` (1 … 255) bytes into `ks`, with no more registers than
/// needed up to 64 and 128 bytes; hashes 16 blocks at `hash` into *y if withHash, and encrypts
/// *j0 if withJ0 (both constants at each call).
CRTC_TARGET_WIDE static inline __attribute__((always_inline))
void crtc_gcm_last_keystream(const crtc_gcm_key *key, __m256i *ctr, uint8_t ks[256], size_t length,
                             const uint8_t *hash, int withHash, __m128i *y, __m128i *j0, int withJ0) {
    __m256i b[8];
    if (length <= 64) {
        crtc_gcm_aes_hash2(key, ctr, b, 2, hash, withHash ? 8 : 0, y, withJ0 ? j0 : NULL);
        CRTC_UNROLL for (int i = 0; i < 2; i++) _mm256_storeu_si256((__m256i *)(ks + 32 * i), b[i]);
    } else if (length <= 128) {
        crtc_gcm_aes_hash2(key, ctr, b, 4, hash, withHash ? 8 : 0, y, withJ0 ? j0 : NULL);
        CRTC_UNROLL for (int i = 0; i < 4; i++) _mm256_storeu_si256((__m256i *)(ks + 32 * i), b[i]);
    } else {
        crtc_gcm_aes_hash2(key, ctr, b, 8, hash, withHash ? 8 : 0, y, withJ0 ? j0 : NULL);
        CRTC_UNROLL for (int i = 0; i < 8; i++) _mm256_storeu_si256((__m256i *)(ks + 32 * i), b[i]);
    }
}

CRTC_TARGET_WIDE __m128i crtc_gcm_wide(const crtc_gcm_key *key, const uint8_t iv[12],
                                      const uint8_t *aad, size_t aadLength, const uint8_t *aad2, size_t aad2Length,
                                      uint8_t *data, size_t length, int sealing) {
    __m128i j0 = _mm_insert_epi32(crtc_load_partial(iv, 12), (int)__builtin_bswap32(1), 3);  // IV ‖ 0^31 ‖ 1
    // The GCTR counters start at inc32(J0): [2 | 3] in the swapped form of crtc_counters2.
    __m256i ctr = _mm256_add_epi32(crtc_swap_counter2(_mm256_broadcastsi128_si256(j0)), _mm256_set_epi32(2, 0, 0, 0, 1, 0, 0, 0));
    size_t aadTotal = aadLength + aad2Length;
    // len(A) ‖ len(C) in bits, reflected: the byte reversal puts len(A) in the high half.
    __m128i lengths = _mm_set_epi64x((long long)((uint64_t)aadTotal * 8), (long long)((uint64_t)length * 8));
    __m128i y = _mm_setzero_si128(), pre0 = y, pre1 = y;
    int nPre = 0;
    if (aadTotal <= 32) {
        crtc_aad_blocks(aad, aadLength, aad2, aad2Length, &pre0, &pre1);
        nPre = (int)(aadTotal + 15) / 16;
    } else {
        y = crtc_ghash_aad(key, aad, aadLength, aad2, aad2Length);
    }
    const uint8_t *pending = NULL;  // sealing: 256 bytes of ciphertext not hashed yet
    int bulk = length >= 256;
    if (bulk) {
        if (nPre) {  // reduced on its own: its latency hides behind the first step's AES
            crtc_acc2 a = crtc_acc2_zero();
            crtc_mul_acc_pre(key, nPre, pre0, pre1, nPre, &a);
            y = crtc_reduce2(a);
            nPre = 0;
        }
        // The first step encrypts J0 too. Sealing hashes each step's ciphertext during the next
        // step's AES; opening hashes the ciphertext in the step that decrypts it, before the XOR.
        if (sealing) y = crtc_gcm_step2(key, &ctr, data, NULL, 0, y, &j0);
        else y = crtc_gcm_step2(key, &ctr, data, data, 8, y, &j0);
        pending = data;
        data += 256;
        length -= 256;
        // The loop always hashes 16 blocks, so its body has no branches.
        while (length >= 256) {
            y = crtc_gcm_step2(key, &ctr, data, sealing ? pending : data, 8, y, NULL);
            pending = data;
            data += 256;
            length -= 256;
        }
        if (!sealing) pending = NULL;
    } else if (length == 0) {
        j0 = crtc_aes_block(&key->aes, j0);
    }
    // Under 256 bytes left; j0 holds E(J0) unless the step below is the first AES step.
    size_t whole = length / 16, partial = length % 16;
    __m128i last = _mm_setzero_si128();  // the partial block's ciphertext, zero-padded
    if (!sealing) {
        if (partial) last = crtc_load_partial(data + 16 * whole, partial);
        y = crtc_ghash_final(key, y, nPre, pre0, pre1, data, whole, last, partial != 0, lengths);
    }
    if (length > 0) {
        uint8_t ks[256];
        if (pending) crtc_gcm_last_keystream(key, &ctr, ks, length, pending, 1, &y, &j0, 0);
        else if (bulk) crtc_gcm_last_keystream(key, &ctr, ks, length, NULL, 0, &y, &j0, 0);
        else crtc_gcm_last_keystream(key, &ctr, ks, length, NULL, 0, &y, &j0, 1);
        pending = NULL;
        size_t i = 0;
        for (; i + 32 <= 16 * whole; i += 32) {
            __m256i d = _mm256_loadu_si256((const __m256i *)(data + i));
            _mm256_storeu_si256((__m256i *)(data + i), _mm256_xor_si256(d, _mm256_loadu_si256((const __m256i *)(ks + i))));
        }
        if (i < 16 * whole) {
            __m128i d = _mm_loadu_si128((const __m128i *)(data + i));
            _mm_storeu_si128((__m128i *)(data + i), _mm_xor_si128(d, _mm_loadu_si128((const __m128i *)(ks + i))));
            i += 16;
        }
        if (partial) {
            static const uint8_t keep[32] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                              0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
            __m128i in = sealing ? crtc_load_partial(data + i, partial) : last;
            __m128i t = _mm_xor_si128(in, _mm_loadu_si128((const __m128i *)(ks + i)));
            crtc_store_partial(data + i, partial, t);
            // The hash takes the ciphertext's bytes with zeros after them, not the keystream's.
            if (sealing) last = _mm_and_si128(t, _mm_loadu_si128((const __m128i *)(keep + 16 - partial)));
        }
    }
    if (sealing) {
        if (pending) y = crtc_ghash_final(key, y, 0, pre0, pre1, pending, 16, last, 0, lengths);  // nothing after the bulk steps
        else y = crtc_ghash_final(key, y, nPre, pre0, pre1, data, whole, last, partial != 0, lengths);
    }
    return _mm_xor_si128(crtc_reverse_bytes(y), j0);
}

#else  // not x86-64: gcm.c has the stubs.

typedef int crtc_gcm_wide_unused;

#endif
