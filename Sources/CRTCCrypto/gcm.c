// AES-GCM (NIST SP 800-38D) with AES-NI and a PCLMULQDQ GHASH.
//
// GHASH works in GF(2^128) with GCM's bit order: bit 0 of the block (the most significant bit
// of byte 0) is the coefficient of x^0. Byte-reversing a block turns it into a 128-bit integer
// whose bit 127 - i holds the coefficient of x^i (a fully bit-reflected polynomial). For
// reflected a and b, the carry-less product of the integers is the reflected 255-bit product
// shifted right by one, so it is shifted left by one and then reduced modulo
// g = x^128 + x^7 + x^2 + x + 1, where multiplying by x is a right shift.
//
// Where the CPU has VAES and VPCLMULQDQ (key->aes.wide), seal and open go through the 256-bit
// code in gcm_wide.c instead (an AAD over 32 bytes is still hashed here).
#include "CRTCCrypto.h"
#include "internal.h"
#include <string.h>

#if defined(__x86_64__)

/// The unreduced 256-bit carry-less product hi:lo += a·b (schoolbook, four multiplies).
CRTC_TARGET static inline void crtc_clmul_acc(__m128i a, __m128i b, __m128i *lo, __m128i *mid, __m128i *hi) {
    *lo = _mm_xor_si128(*lo, _mm_clmulepi64_si128(a, b, 0x00));
    *hi = _mm_xor_si128(*hi, _mm_clmulepi64_si128(a, b, 0x11));
    *mid = _mm_xor_si128(*mid, _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x01), _mm_clmulepi64_si128(a, b, 0x10)));
}

/// Reduces the reflected product (the carry-less product P = hi·2^128 + mid·2^64 + lo) to a
/// reflected 128-bit field element.
CRTC_TARGET static inline __m128i crtc_reduce(__m128i lo, __m128i mid, __m128i hi) {
    // R = P << 1 (256-bit): the reflected product.
    CRTC_REFLECT_PRODUCT(lo, mid, hi);
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
/// lo/mid/hi += x·H^q (1 ≤ q ≤ 8), Karatsuba: mid takes (x0 ^ x1)·(h0 ^ h1) and is completed
/// with lo ^ hi once the whole sum is taken.
CRTC_TARGET static inline void crtc_mul_acc_power(const crtc_gcm_key *key, __m128i x, int q,
                                                  __m128i *lo, __m128i *mid, __m128i *hi) {
    __m128i h = ((const __m128i *)key->hPowers)[q - 1];
    __m128i halves = ((const __m128i *)key->hHalves)[q - 1];
    *lo = _mm_xor_si128(*lo, _mm_clmulepi64_si128(x, h, 0x00));
    *hi = _mm_xor_si128(*hi, _mm_clmulepi64_si128(x, h, 0x11));
    __m128i xHalves = _mm_xor_si128(x, _mm_shuffle_epi32(x, 0x4E));
    *mid = _mm_xor_si128(*mid, _mm_clmulepi64_si128(xHalves, halves, 0x00));
}

CRTC_TARGET static inline __m128i crtc_ghash_blocks(const crtc_gcm_key *key, __m128i y, const uint8_t *data, size_t n) {
    __m128i lo = _mm_setzero_si128(), mid = _mm_setzero_si128(), hi = _mm_setzero_si128();
    for (size_t i = 0; i < n; i++) {
        __m128i x = crtc_reverse_bytes(_mm_loadu_si128((const __m128i *)(data + 16 * i)));
        if (i == 0) x = _mm_xor_si128(x, y);
        crtc_mul_acc_power(key, x, (int)(n - i), &lo, &mid, &hi);
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

/// Hashes the padded last block of the ciphertext, if one is pending, and the length block in
/// one sum, and returns the tag E(J0) ^ GHASH (`ej0` is E(J0), encrypted before the hash so its
/// latency overlaps it).
CRTC_TARGET static __m128i crtc_gcm_finish(const crtc_gcm_key *key, crtc_ghash *g, __m128i ej0,
                                           size_t aadLength, size_t length) {
    uint8_t blocks[32] = {0};
    size_t n = g->pendingLength > 0;
    if (n) memcpy(blocks, g->pending, g->pendingLength);
    uint64_t bits[2] = { __builtin_bswap64((uint64_t)aadLength * 8), __builtin_bswap64((uint64_t)length * 8) };
    memcpy(blocks + 16 * n, bits, 16);
    g->y = crtc_ghash_blocks(key, g->y, blocks, n + 1);
    return _mm_xor_si128(crtc_reverse_bytes(g->y), ej0);
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

/// IV ‖ 0^32, loaded straight into a register (through a stack copy, the 16-byte load would
/// wait for the 12-byte store to retire: no store forwarding).
CRTC_TARGET static inline __m128i crtc_gcm_iv_block(const uint8_t iv[12]) {
    return crtc_load_partial(iv, 12);
}

/// One pass over `data`: each 128-byte chunk is XORed with the GCTR keystream and hashed while
/// it is hot — after the XOR when sealing (the hash covers ciphertext), before it when opening —
/// so the AES of one chunk and the carry-less multiplies of the previous one overlap. A partial
/// last block stays pending in `g`, for crtc_gcm_finish to hash with the length block.
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
}

CRTC_TARGET static void crtc_gcm_hash_aad(const crtc_gcm_key *key, crtc_ghash *g,
                                          const uint8_t *aad, size_t aadLength, const uint8_t *aad2, size_t aad2Length) {
    g->y = _mm_setzero_si128();
    g->pendingLength = 0;
    size_t total = aadLength + aad2Length;
    if (total <= 32) {  // the usual header: two blocks at most, straight into registers
        if (total == 0) return;
        __m128i a0, a1;
        crtc_aad_blocks(aad, aadLength, aad2, aad2Length, &a0, &a1);
        __m128i lo = _mm_setzero_si128(), mid = lo, hi = lo;
        int n = total > 16 ? 2 : 1;
        for (int i = 0; i < n; i++) crtc_mul_acc_power(key, i ? a1 : a0, n - i, &lo, &mid, &hi);
        g->y = crtc_reduce(lo, _mm_xor_si128(mid, _mm_xor_si128(lo, hi)), hi);
        return;
    }
    crtc_ghash_update(key, g, aad, aadLength);
    crtc_ghash_update(key, g, aad2, aad2Length);
    crtc_ghash_pad(key, g);
}

CRTC_TARGET __m128i crtc_ghash_aad(const crtc_gcm_key *key, const uint8_t *aad, size_t aadLength,
                                   const uint8_t *aad2, size_t aad2Length) {
    crtc_ghash g;
    crtc_gcm_hash_aad(key, &g, aad, aadLength, aad2, aad2Length);
    return g.y;
}

CRTC_TARGET void crtc_gcm_seal(const crtc_gcm_key *key, const uint8_t iv[12],
                               const uint8_t *aad, size_t aadLength, const uint8_t *aad2, size_t aad2Length,
                               uint8_t *data, size_t length, uint8_t tag[16]) {
    if (key->aes.wide) {
        _mm_storeu_si128((__m128i *)tag, crtc_gcm_wide(key, iv, aad, aadLength, aad2, aad2Length, data, length, 1));
        return;
    }
    __m128i ivBlock = crtc_gcm_iv_block(iv);
    __m128i ej0 = crtc_aes_block(&key->aes, crtc_gcm_counter(ivBlock, 1));
    crtc_ghash g;
    crtc_gcm_hash_aad(key, &g, aad, aadLength, aad2, aad2Length);
    crtc_gcm_crypt_and_hash(key, ivBlock, &g, data, length, 1);
    _mm_storeu_si128((__m128i *)tag, crtc_gcm_finish(key, &g, ej0, aadLength + aad2Length, length));
}

/// Decrypts while hashing the ciphertext, then checks the tag; on a wrong tag the keystream
/// is applied again, which restores the ciphertext exactly (CTR is its own inverse), so the
/// caller never sees unauthenticated plaintext and the bytes are left as they came.
CRTC_TARGET int crtc_gcm_open(const crtc_gcm_key *key, const uint8_t iv[12],
                              const uint8_t *aad, size_t aadLength, const uint8_t *aad2, size_t aad2Length,
                              uint8_t *data, size_t length, const uint8_t tag[16]) {
    __m128i ivBlock = crtc_gcm_iv_block(iv);
    __m128i expected;
    if (key->aes.wide) {
        expected = crtc_gcm_wide(key, iv, aad, aadLength, aad2, aad2Length, data, length, 0);
    } else {
        __m128i ej0 = crtc_aes_block(&key->aes, crtc_gcm_counter(ivBlock, 1));
        crtc_ghash g;
        crtc_gcm_hash_aad(key, &g, aad, aadLength, aad2, aad2Length);
        crtc_gcm_crypt_and_hash(key, ivBlock, &g, data, length, 0);
        expected = crtc_gcm_finish(key, &g, ej0, aadLength + aad2Length, length);
    }
    // One vector compare: PTEST of the XOR is 1 only when all 128 bits are 0, with no
    // data-dependent branch before the verdict.
    __m128i diff = _mm_xor_si128(expected, _mm_loadu_si128((const __m128i *)tag));
    if (!_mm_testz_si128(diff, diff)) {
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
