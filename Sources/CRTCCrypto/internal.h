// Shared inline helpers of CRTCCrypto (not part of the public header).
#ifndef CRTC_INTERNAL_H
#define CRTC_INTERNAL_H

#include "CRTCCrypto.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define CRTC_TARGET __attribute__((target("aes,pclmul,ssse3,sse4.1")))
#define CRTC_TARGET_SHA __attribute__((target("sha,ssse3,sse4.1")))

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
#endif

#endif
