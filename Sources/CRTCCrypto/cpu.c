// Runtime CPU feature detection for the accelerated paths.
#include "CRTCCrypto.h"
#include <string.h>

int crtc_cpu_has_aes_gcm(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul")
        && __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("sse4.1");
#else
    return 0;
#endif
}

// AVX2 (whose detection includes the OS saving the ymm registers) for the 256-bit loads,
// shuffles and adds around VAESENC / VPCLMULQDQ; no AVX-512 (AMD Zen 3 has VAES without it).
int crtc_cpu_has_vaes_gcm(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return crtc_cpu_has_aes_gcm() && __builtin_cpu_supports("avx2")
        && __builtin_cpu_supports("vaes") && __builtin_cpu_supports("vpclmulqdq");
#else
    return 0;
#endif
}

int crtc_cpu_has_sha(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("sha") && __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("sse4.1");
#else
    return 0;
#endif
}

// Eight bytes at a time into one register. The empty asm hides the running value from the
// optimizer, so it cannot stop early once bits are set; the verdict is computed without a branch.
int crtc_equal_constant_time(const uint8_t *a, const uint8_t *b, size_t length) {
    uint64_t diff = 0;
    size_t i = 0;
    for (; i + 8 <= length; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        diff |= x ^ y;
        __asm__("" : "+r"(diff));
    }
    for (; i < length; i++) {
        diff |= (uint64_t)(a[i] ^ b[i]);
        __asm__("" : "+r"(diff));
    }
    // diff or -diff has the top bit set unless diff is 0.
    return (int)(((diff | (0 - diff)) >> 63) ^ 1);
}
