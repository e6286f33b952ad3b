// AES-GCM (NIST SP 800-38D) with AES-NI and a PCLMULQDQ GHASH.
//
// GHASH works in GF(2^128) with GCM's bit order: bit 0 of the block (the most significant bit
// of byte 0) is the coefficient of x^0. Byte-reversing a block turns it into a 128-bit integer
// whose bit 127 - i holds the coefficient of x^i (a fully bit-reflected polynomial). For
// reflected a and b, the carry-less product of the integers is the reflected 255-bit product
// shifted right by one, so it is shifted left by one and then reduced modulo
// g = x^128 + x^7 + x^2 + x + 1, where multiplying by x is a right shift.
//
// Where the CPU has VAES and VPCLMULQDQ (key->aes.wide), the payload goes through the 256-bit
// code further down instead: 16 blocks per step, one reduction per 16 blocks. The AAD and the
// length block stay on the 128-bit code.
#include "CRTCCrypto.h"
#include "internal.h"
#include <string.h>

#if defined(__x86_64__)

/// 128-bit logical shifts of a whole register.
#define CRTC_SHL128(x, n) _mm_or_si128(_mm_slli_epi64((x), (n)), _mm_slli_si128(_mm_srli_epi64((x), 64 - (n)), 8))
#define CRTC_SHR128(x, n) _mm_or_si128(_mm_srli_epi64((x), (n)), _mm_srli_si128(_mm_slli_epi64((x), 64 - (n)), 8))
/// x << n for 64 <= n < 128.
#define CRTC_SHL128_HIGH(x, n) _mm_slli_si128(_mm_slli_epi64((x), (n) - 64), 8)

CRTC_TARGET static inline __m128i crtc_reverse_bytes(__m128i x) {
    const __m128i mask = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm_shuffle_epi8(x, mask);
}

/// The unreduced 256-bit carry-less product hi:lo += a·b (schoolbook, four multiplies).
CRTC_TARGET static inline void crtc_clmul_acc(__m128i a, __m128i b, __m128i *lo, __m128i *mid, __m128i *hi) {
    *lo = _mm_xor_si128(*lo, _mm_clmulepi64_si128(a, b, 0x00));
    *hi = _mm_xor_si128(*hi, _mm_clmulepi64_si128(a, b, 0x11));
    *mid = _mm_xor_si128(*mid, _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x01), _mm_clmulepi64_si128(a, b, 0x10)));
}

/// Reduces the reflected product (the carry-less product P = hi·2^128 + mid·2^64 + lo) to a
/// reflected 128-bit field element.
CRTC_TARGET static inline __m128i crtc_reduce(__m128i lo, __m128i mid, __m128i hi) {
    lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
    hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
    // R = P << 1 (256-bit): the reflected product.
    __m128i carry = _mm_srli_si128(_mm_srli_epi64(lo, 63), 8);
    hi = _mm_or_si128(CRTC_SHL128(hi, 1), carry);
    lo = CRTC_SHL128(lo, 1);
    // hi holds the coefficients x^0 … x^127 (reflected), lo those of x^128 … x^255: c_hi.
    // x^128 ≡ x^7 + x^2 + x + 1. The part of c_hi·(x^7 + x^2 + x) that overflows x^127
    // (the bits the right shifts below drop) is folded back first.
    __m128i overflow = _mm_xor_si128(_mm_xor_si128(CRTC_SHL128_HIGH(lo, 127), CRTC_SHL128_HIGH(lo, 126)),
                                     CRTC_SHL128_HIGH(lo, 121));
    __m128i t = _mm_xor_si128(lo, overflow);
    __m128i r = _mm_xor_si128(t, CRTC_SHR128(t, 1));
    r = _mm_xor_si128(r, CRTC_SHR128(t, 2));
    r = _mm_xor_si128(r, CRTC_SHR128(t, 7));
    return _mm_xor_si128(hi, r);
}

CRTC_TARGET static inline __m128i crtc_gf_mul(__m128i a, __m128i b) {
    __m128i lo = _mm_setzero_si128(), mid = _mm_setzero_si128(), hi = _mm_setzero_si128();
    crtc_clmul_acc(a, b, &lo, &mid, &hi);
    return crtc_reduce(lo, mid, hi);
}

int crtc_gcm_init(crtc_gcm_key *key, const uint8_t *bytes, size_t length) {
    return crtc_gcm_init_with(key, bytes, length, 1);
}

int crtc_gcm_init_with(crtc_gcm_key *key, const uint8_t *bytes, size_t length, int allowWide) {
    memset(key, 0, sizeof *key);
    if (crtc_aes_init_with(&key->aes, bytes, length, allowWide) != 0) return -1;
    uint8_t zero[16] = {0}, h[16];
    crtc_aes_encrypt_block(&key->aes, zero, h);
    crtc_gcm_powers(key, h);
    return 0;
}

CRTC_TARGET void crtc_gcm_powers(crtc_gcm_key *key, const uint8_t h[16]) {
    __m128i *powers = (__m128i *)key->hPowers;
    __m128i h1 = crtc_reverse_bytes(_mm_loadu_si128((const __m128i *)h));
    powers[0] = h1;
    for (int i = 1; i < 8; i++) powers[i] = crtc_gf_mul(powers[i - 1], h1);
    __m128i *halves = (__m128i *)key->hHalves;
    for (int i = 0; i < 8; i++) halves[i] = _mm_xor_si128(powers[i], _mm_shuffle_epi32(powers[i], 0x4E));
    if (!key->aes.wide) return;
    // The 256-bit code hashes up to 16 blocks per reduction: H^9 … H^16 too, laid out in pairs.
    __m128i p[16];
    for (int i = 0; i < 8; i++) p[i] = powers[i];
    for (int i = 8; i < 16; i++) p[i] = crtc_gf_mul(p[i - 1], h1);
    for (int e = 0; e < 8; e++) {
        // The earlier block of a register (its low lane) meets the higher power.
        __m128i earlier = p[15 - 2 * e], later = p[14 - 2 * e];  // H^(16-2e), H^(15-2e)
        _mm_storeu_si128((__m128i *)key->hWide[e], earlier);
        _mm_storeu_si128((__m128i *)(key->hWide[e] + 16), later);
        _mm_storeu_si128((__m128i *)key->hWideHalves[e], _mm_xor_si128(earlier, _mm_shuffle_epi32(earlier, 0x4E)));
        _mm_storeu_si128((__m128i *)(key->hWideHalves[e] + 16), _mm_xor_si128(later, _mm_shuffle_epi32(later, 0x4E)));
    }
}

/// GHASH state: the running value Y (reflected) and a partial block.
typedef struct {
    __m128i y;
    uint8_t pending[16];
    size_t pendingLength;
} crtc_ghash;

/// Y = (Y ^ X1)·H^n ^ X2·H^(n-1) ^ … ^ Xn·H for n ≤ 8 whole blocks, reduced once. Each
/// product takes three multiplies (Karatsuba): lo = a0·b0, hi = a1·b1 and
/// (a0 ^ a1)·(b0 ^ b1) ^ lo ^ hi for the middle term, summed over the blocks first.
CRTC_TARGET static inline __m128i crtc_ghash_blocks(const crtc_gcm_key *key, __m128i y, const uint8_t *data, size_t n) {
    const __m128i *powers = (const __m128i *)key->hPowers;
    const __m128i *halves = (const __m128i *)key->hHalves;
    __m128i lo = _mm_setzero_si128(), mid = _mm_setzero_si128(), hi = _mm_setzero_si128();
    for (size_t i = 0; i < n; i++) {
        __m128i x = crtc_reverse_bytes(_mm_loadu_si128((const __m128i *)(data + 16 * i)));
        if (i == 0) x = _mm_xor_si128(x, y);
        __m128i h = powers[n - 1 - i];
        lo = _mm_xor_si128(lo, _mm_clmulepi64_si128(x, h, 0x00));
        hi = _mm_xor_si128(hi, _mm_clmulepi64_si128(x, h, 0x11));
        __m128i xHalves = _mm_xor_si128(x, _mm_shuffle_epi32(x, 0x4E));
        mid = _mm_xor_si128(mid, _mm_clmulepi64_si128(xHalves, halves[n - 1 - i], 0x00));
    }
    mid = _mm_xor_si128(mid, _mm_xor_si128(lo, hi));
    return crtc_reduce(lo, mid, hi);
}

CRTC_TARGET static void crtc_ghash_update(const crtc_gcm_key *key, crtc_ghash *g, const uint8_t *data, size_t length) {
    if (g->pendingLength > 0) {
        size_t take = 16 - g->pendingLength;
        if (take > length) take = length;
        if (take > 0) memcpy(g->pending + g->pendingLength, data, take);
        g->pendingLength += take;
        data += take;
        length -= take;
        if (g->pendingLength < 16) return;
        g->y = crtc_ghash_blocks(key, g->y, g->pending, 1);
        g->pendingLength = 0;
    }
    while (length >= 128) {
        g->y = crtc_ghash_blocks(key, g->y, data, 8);
        data += 128;
        length -= 128;
    }
    if (length >= 16) {
        size_t n = length / 16;
        g->y = crtc_ghash_blocks(key, g->y, data, n);
        data += 16 * n;
        length -= 16 * n;
    }
    if (length > 0) memcpy(g->pending, data, length);
    g->pendingLength = length;
}

/// Ends a segment (AAD or ciphertext): a partial block is padded with zeros.
CRTC_TARGET static void crtc_ghash_pad(const crtc_gcm_key *key, crtc_ghash *g) {
    if (g->pendingLength == 0) return;
    memset(g->pending + g->pendingLength, 0, 16 - g->pendingLength);
    g->y = crtc_ghash_blocks(key, g->y, g->pending, 1);
    g->pendingLength = 0;
}

/// Hashes the length block and writes the tag E(J0) ^ GHASH.
CRTC_TARGET static void crtc_gcm_finish(const crtc_gcm_key *key, crtc_ghash *g, __m128i j0,
                                        size_t aadLength, size_t length, uint8_t tag[16]) {
    uint64_t bits[2] = { __builtin_bswap64((uint64_t)aadLength * 8), __builtin_bswap64((uint64_t)length * 8) };
    g->y = crtc_ghash_blocks(key, g->y, (const uint8_t *)bits, 1);
    __m128i s = crtc_reverse_bytes(g->y);
    _mm_storeu_si128((__m128i *)tag, _mm_xor_si128(s, crtc_aes_block(&key->aes, j0)));
}

/// The counter block IV ‖ counter (32-bit big-endian).
CRTC_TARGET static inline __m128i crtc_gcm_counter(__m128i ivBlock, uint32_t counter) {
    return _mm_insert_epi32(ivBlock, (int)__builtin_bswap32(counter), 3);
}

/// XORs the GCTR keystream from counter 2 (inc32 of J0) over `data`.
CRTC_TARGET static void crtc_gcm_ctr(const crtc_gcm_key *key, __m128i ivBlock, uint8_t *data, size_t length) {
    uint32_t counter = 2;
    while (length > 0) {
        __m128i b[8];
        for (int i = 0; i < 8; i++) b[i] = crtc_gcm_counter(ivBlock, counter++);
        crtc_aes_ctr8(&key->aes, b);
        size_t chunk = crtc_xor_keystream8(b, data, length);
        data += chunk;
        length -= chunk;
    }
}

CRTC_TARGET static inline __m128i crtc_gcm_iv_block(const uint8_t iv[12]) {
    uint8_t block[16] = {0};
    memcpy(block, iv, 12);
    return _mm_loadu_si128((const __m128i *)block);
}

/// One pass over `data`: each 128-byte chunk is XORed with the GCTR keystream and hashed while
/// it is hot — after the XOR when sealing (the hash covers ciphertext), before it when opening —
/// so the AES of one chunk and the carry-less multiplies of the previous one overlap.
CRTC_TARGET static void crtc_gcm_crypt_and_hash(const crtc_gcm_key *key, __m128i ivBlock, crtc_ghash *g,
                                                uint8_t *data, size_t length, int sealing) {
    uint32_t counter = 2;
    while (length > 0) {
        size_t chunk = length < 128 ? length : 128;
        if (!sealing) crtc_ghash_update(key, g, data, chunk);
        __m128i b[8];
        for (int i = 0; i < 8; i++) b[i] = crtc_gcm_counter(ivBlock, counter++);
        crtc_aes_ctr8(&key->aes, b);
        size_t whole = chunk / 16;
        for (size_t i = 0; i < whole; i++) {
            __m128i d = _mm_loadu_si128((const __m128i *)(data + 16 * i));
            _mm_storeu_si128((__m128i *)(data + 16 * i), _mm_xor_si128(d, b[i]));
        }
        if (chunk % 16) {
            uint8_t ks[16];
            _mm_storeu_si128((__m128i *)ks, b[whole]);
            for (size_t i = 0; i < chunk % 16; i++) data[16 * whole + i] ^= ks[i];
        }
        if (sealing) crtc_ghash_update(key, g, data, chunk);
        data += chunk;
        length -= chunk;
    }
    crtc_ghash_pad(key, g);
}

// The 256-bit path (VAES, VPCLMULQDQ): two blocks per ymm register, each 128-bit lane a block
// in the same reflected form as above. Lanes never mix until a sum is reduced, so the 128-bit
// reduction serves after the two lanes' partial products are XORed together.

/// Byte-reverses each lane: two blocks to two reflected field elements.
CRTC_TARGET_WIDE static inline __m256i crtc_reverse_bytes2(__m256i x) {
    const __m256i mask = _mm256_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
                                          15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    return _mm256_shuffle_epi8(x, mask);
}

/// Unreduced sums of products, one per lane, in the lo / mid / hi form of crtc_reduce.
typedef struct {
    __m256i lo, mid, hi;
} crtc_acc2;

/// a += x · hWide[e] lane by lane: the lane's block times H^(16-2e) or H^(15-2e), Karatsuba as
/// in crtc_ghash_blocks (mid is completed with lo ^ hi after the sum).
CRTC_TARGET_WIDE static inline void crtc_mul_acc2(const crtc_gcm_key *key, int e, __m256i x, crtc_acc2 *a) {
    __m256i h = _mm256_loadu_si256((const __m256i *)key->hWide[e]);
    __m256i halves = _mm256_loadu_si256((const __m256i *)key->hWideHalves[e]);
    a->lo = _mm256_xor_si256(a->lo, _mm256_clmulepi64_epi128(x, h, 0x00));
    a->hi = _mm256_xor_si256(a->hi, _mm256_clmulepi64_epi128(x, h, 0x11));
    __m256i xHalves = _mm256_xor_si256(x, _mm256_shuffle_epi32(x, 0x4E));
    a->mid = _mm256_xor_si256(a->mid, _mm256_clmulepi64_epi128(xHalves, halves, 0x00));
}

/// crtc_reduce with most of its shifts done by two carry-less multiplies: in the bulk loop the
/// shifts compete with the AES rounds for the vector units, the multiplier less so (a few per cent
/// at 1,200 bytes). After the shift by one, c_hi (`lo`) is folded as
/// c_hi·(x^7 + x^2 + x + 1). With C = 2^63 + 2^62 + 2^57, the low 64 bits of lo0·C, moved up by
/// 64, are exactly `overflow` there; and for t = [t1:t0], (t >> 1) ^ (t >> 2) ^ (t >> 7) is
/// t·(2^6 + 2^5 + 1) >> 7 = t·C >> 64 = t1·C ^ (t0·C >> 64), with t0 = lo0.
CRTC_TARGET static inline __m128i crtc_reduce_clmul(__m128i lo, __m128i mid, __m128i hi) {
    lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
    hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
    __m128i carry = _mm_srli_si128(_mm_srli_epi64(lo, 63), 8);
    hi = _mm_or_si128(CRTC_SHL128(hi, 1), carry);
    lo = CRTC_SHL128(lo, 1);
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

/// y in the low lane, zero in the high one: XORed into the first register of a sum.
CRTC_TARGET_WIDE static inline __m256i crtc_low_lane(__m128i y) {
    return _mm256_set_m128i(_mm_setzero_si128(), y);
}

/// Y = (Y ^ X1)·H^n ^ X2·H^(n-1) ^ … ^ Xn·H, reduced once, for n = whole + hasLast ≤ 16
/// blocks: `whole` blocks at `p`, then `last` (a zero-padded final block) if hasLast.
CRTC_TARGET_WIDE static __m128i crtc_ghash_wide(const crtc_gcm_key *key, __m128i y, const uint8_t *p, size_t whole,
                                                __m128i last, int hasLast) {
    int n = (int)whole + (hasLast != 0);
    if (n == 0) return y;
    crtc_acc2 a = { _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256() };
    // An odd count starts with a zero block in the low lane, so the pairs of powers stay in
    // step (it adds nothing): register j holds blocks 2j - odd and 2j + 1 - odd.
    int odd = n % 2, registers = (n + 1) / 2, e = 8 - registers;
    for (int j = 0; j < registers; j++) {
        int k = 2 * j - odd;
        __m256i x;
        if (k >= 0 && k + 1 < (int)whole) {
            x = _mm256_loadu_si256((const __m256i *)(p + 16 * k));
        } else {
            __m128i low = k >= 0 ? _mm_loadu_si128((const __m128i *)(p + 16 * k)) : _mm_setzero_si128();
            __m128i high = k + 1 < (int)whole ? _mm_loadu_si128((const __m128i *)(p + 16 * (k + 1))) : last;
            x = _mm256_set_m128i(high, low);
        }
        x = crtc_reverse_bytes2(x);
        if (j == 0) x = _mm256_xor_si256(x, odd ? _mm256_set_m128i(y, _mm_setzero_si128()) : crtc_low_lane(y));
        crtc_mul_acc2(key, e + j, x, &a);
    }
    return crtc_reduce2(a);
}

/// Encrypts `nAes` registers (4 or 8, a constant at each call) of counter blocks into `b`, while
/// hashing `nHash` registers (0, 4 or 8: 2·nHash blocks) at `hash` into *y. The rounds and the
/// multiplies do not depend on each other, so interleaving them keeps the AES and the
/// carry-less multiply units busy at the same time.
CRTC_TARGET_WIDE static inline __attribute__((always_inline))
void crtc_gcm_aes_hash2(const crtc_gcm_key *key, __m256i *ctr, __m256i *b, int nAes,
                        const uint8_t *hash, int nHash, __m128i *y) {
    const crtc_aes_key *aes = &key->aes;
    crtc_counters2(ctr, crtc_round_key2(aes, 0), b, nAes);
    crtc_acc2 a = { _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256() };
    int e = 8 - nHash;
    CRTC_UNROLL for (int r = 1; r <= 8; r++) {  // every key has at least 10 rounds
        __m256i k = crtc_round_key2(aes, r);
        CRTC_UNROLL for (int i = 0; i < nAes; i++) b[i] = _mm256_aesenc_epi128(b[i], k);
        if (r <= nHash) {
            __m256i x = crtc_reverse_bytes2(_mm256_loadu_si256((const __m256i *)(hash + 32 * (r - 1))));
            if (r == 1) x = _mm256_xor_si256(x, crtc_low_lane(*y));
            crtc_mul_acc2(key, e + r - 1, x, &a);
        }
    }
    for (int r = 9; r < aes->rounds; r++) {
        __m256i k = crtc_round_key2(aes, r);
        CRTC_UNROLL for (int i = 0; i < nAes; i++) b[i] = _mm256_aesenc_epi128(b[i], k);
    }
    __m256i last = crtc_round_key2(aes, aes->rounds);
    CRTC_UNROLL for (int i = 0; i < nAes; i++) b[i] = _mm256_aesenclast_epi128(b[i], last);
    if (nHash > 0) *y = crtc_reduce2(a);
}

/// One step of the bulk loop: crtc_gcm_aes_hash2, then the keystream XORed over `nAes`
/// registers' worth of `data`. `hash` may be `data`: it is read before `data` is written.
CRTC_TARGET_WIDE static inline __attribute__((always_inline))
__m128i crtc_gcm_step2(const crtc_gcm_key *key, __m256i *ctr, uint8_t *data, int nAes,
                       const uint8_t *hash, int nHash, __m128i y) {
    __m256i b[8];
    crtc_gcm_aes_hash2(key, ctr, b, nAes, hash, nHash, &y);
    CRTC_UNROLL for (int i = 0; i < nAes; i++) {
        __m256i d = _mm256_loadu_si256((const __m256i *)(data + 32 * i));
        _mm256_storeu_si256((__m256i *)(data + 32 * i), _mm256_xor_si256(d, b[i]));
    }
    return y;
}

/// crtc_gcm_crypt_and_hash on the 256-bit path, 256 bytes per step. Sealing hashes each step's
/// ciphertext during the next step's AES; opening hashes the ciphertext in the step that
/// decrypts it, before the XOR. Starts with no partial block pending in `g`.
CRTC_TARGET_WIDE static void crtc_gcm_crypt_and_hash_wide(const crtc_gcm_key *key, const uint8_t iv[12], crtc_ghash *g,
                                                          uint8_t *data, size_t length, int sealing) {
    uint8_t cb[16] = {0};
    memcpy(cb, iv, 12);
    cb[15] = 2;  // inc32(J0)
    __m256i ctr = crtc_counter_pair(cb);
    __m128i y = g->y;
    const uint8_t *pending = NULL;  // sealing: ciphertext not hashed yet
    int pendingRegisters = 0;
    if (sealing && length >= 256) {
        y = crtc_gcm_step2(key, &ctr, data, 8, NULL, 0, y);
        pending = data;
        pendingRegisters = 8;
        data += 256;
        length -= 256;
    }
    // The loop always hashes 16 blocks, so its body has no branches.
    while (length >= 256) {
        y = crtc_gcm_step2(key, &ctr, data, 8, sealing ? pending : data, 8, y);
        pending = data;
        data += 256;
        length -= 256;
    }
    if (length >= 128) {
        y = crtc_gcm_step2(key, &ctr, data, 4, sealing ? pending : data, sealing ? pendingRegisters : 4, y);
        pending = data;
        pendingRegisters = 4;
        data += 128;
        length -= 128;
    }
    if (!sealing) pendingRegisters = 0;
    if (length == 0) {
        if (pendingRegisters > 0) y = crtc_ghash_wide(key, y, pending, 2 * (size_t)pendingRegisters, _mm_setzero_si128(), 0);
        g->y = y;
        return;
    }
    // Under 128 bytes left: eight blocks of keystream (the latency is that of one), the whole
    // blocks XORed in place and a partial one through a zero-padded copy, as GHASH pads it.
    __m256i b[4];
    crtc_gcm_aes_hash2(key, &ctr, b, 4, pending, pendingRegisters, &y);
    uint8_t ks[128];
    CRTC_UNROLL for (int i = 0; i < 4; i++) _mm256_storeu_si256((__m256i *)(ks + 32 * i), b[i]);
    size_t whole = length / 16, partial = length % 16, i = 0;
    uint8_t in[16] = {0};
    __m128i last = _mm_setzero_si128();
    if (partial) {
        memcpy(in, data + 16 * whole, partial);
        last = _mm_loadu_si128((const __m128i *)in);
    }
    if (!sealing) y = crtc_ghash_wide(key, y, data, whole, last, partial != 0);
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
        __m128i t = _mm_xor_si128(last, _mm_loadu_si128((const __m128i *)(ks + i)));
        _mm_storeu_si128((__m128i *)in, t);
        memcpy(data + i, in, partial);
        // The hash takes the ciphertext's bytes with zeros after them, not the keystream's.
        if (sealing) last = _mm_and_si128(t, _mm_loadu_si128((const __m128i *)(keep + 16 - partial)));
    }
    if (sealing) y = crtc_ghash_wide(key, y, data, whole, last, partial != 0);
    g->y = y;
}

CRTC_TARGET static void crtc_gcm_hash_aad(const crtc_gcm_key *key, crtc_ghash *g,
                                          const uint8_t *aad, size_t aadLength, const uint8_t *aad2, size_t aad2Length) {
    g->y = _mm_setzero_si128();
    g->pendingLength = 0;
    crtc_ghash_update(key, g, aad, aadLength);
    crtc_ghash_update(key, g, aad2, aad2Length);
    crtc_ghash_pad(key, g);
}

CRTC_TARGET void crtc_gcm_seal(const crtc_gcm_key *key, const uint8_t iv[12],
                               const uint8_t *aad, size_t aadLength, const uint8_t *aad2, size_t aad2Length,
                               uint8_t *data, size_t length, uint8_t tag[16]) {
    __m128i ivBlock = crtc_gcm_iv_block(iv);
    crtc_ghash g;
    crtc_gcm_hash_aad(key, &g, aad, aadLength, aad2, aad2Length);
    if (key->aes.wide) crtc_gcm_crypt_and_hash_wide(key, iv, &g, data, length, 1);
    else crtc_gcm_crypt_and_hash(key, ivBlock, &g, data, length, 1);
    crtc_gcm_finish(key, &g, crtc_gcm_counter(ivBlock, 1), aadLength + aad2Length, length, tag);
}

/// Decrypts while hashing the ciphertext, then checks the tag; on a wrong tag the keystream
/// is applied again, which restores the ciphertext exactly (CTR is its own inverse), so the
/// caller never sees unauthenticated plaintext and the bytes are left as they came.
CRTC_TARGET int crtc_gcm_open(const crtc_gcm_key *key, const uint8_t iv[12],
                              const uint8_t *aad, size_t aadLength, const uint8_t *aad2, size_t aad2Length,
                              uint8_t *data, size_t length, const uint8_t tag[16]) {
    __m128i ivBlock = crtc_gcm_iv_block(iv);
    crtc_ghash g;
    crtc_gcm_hash_aad(key, &g, aad, aadLength, aad2, aad2Length);
    if (key->aes.wide) crtc_gcm_crypt_and_hash_wide(key, iv, &g, data, length, 0);
    else crtc_gcm_crypt_and_hash(key, ivBlock, &g, data, length, 0);
    uint8_t expected[16];
    crtc_gcm_finish(key, &g, crtc_gcm_counter(ivBlock, 1), aadLength + aad2Length, length, expected);
    if (!crtc_equal_constant_time(expected, tag, 16)) {
        if (key->aes.wide) {
            uint8_t cb[16];
            _mm_storeu_si128((__m128i *)cb, crtc_gcm_counter(ivBlock, 2));
            crtc_ctr32_xor_wide(&key->aes, cb, data, length);
        } else {
            crtc_gcm_ctr(key, ivBlock, data, length);
        }
        return -1;
    }
    return 0;
}

#else  // not x86-64

int crtc_gcm_init(crtc_gcm_key *key, const uint8_t *bytes, size_t length) {
    return crtc_gcm_init_with(key, bytes, length, 1);
}

int crtc_gcm_init_with(crtc_gcm_key *key, const uint8_t *bytes, size_t length, int allowWide) {
    (void)bytes; (void)length; (void)allowWide;
    memset(key, 0, sizeof *key);
    return -1;
}

void crtc_gcm_seal(const crtc_gcm_key *key, const uint8_t iv[12],
                   const uint8_t *aad, size_t aadLength, const uint8_t *aad2, size_t aad2Length,
                   uint8_t *data, size_t length, uint8_t tag[16]) {
    (void)key; (void)iv; (void)aad; (void)aadLength; (void)aad2; (void)aad2Length; (void)data; (void)length;
    memset(tag, 0, 16);
}

int crtc_gcm_open(const crtc_gcm_key *key, const uint8_t iv[12],
                  const uint8_t *aad, size_t aadLength, const uint8_t *aad2, size_t aad2Length,
                  uint8_t *data, size_t length, const uint8_t tag[16]) {
    (void)key; (void)iv; (void)aad; (void)aadLength; (void)aad2; (void)aad2Length; (void)data; (void)length; (void)tag;
    return -1;
}

#endif
