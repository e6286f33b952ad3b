// CRC-32C (Castagnoli), the SCTP checksum (RFC 9260 §6.8, Appendix B), with the SSE4.2 CRC32
// instruction, which computes exactly this polynomial (0x1EDC6F41, bit-reflected), 8 bytes per
// instruction.
#include "CRTCCrypto.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

int crtc_cpu_has_crc32c(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}

__attribute__((target("sse4.2")))
uint32_t crtc_crc32c_update(uint32_t crc, const uint8_t *data, size_t length) {
    uint64_t c = crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, data, 8);
        c = _mm_crc32_u64(c, word);
        data += 8;
        length -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (length > 0) {
        c32 = _mm_crc32_u8(c32, *data++);
        length--;
    }
    return c32;
}
#else
int crtc_cpu_has_crc32c(void) { return 0; }

uint32_t crtc_crc32c_update(uint32_t crc, const uint8_t *data, size_t length) {
    // Bit by bit: callers use their own table code where the instruction is missing.
    while (length--) {
        crc ^= *data++;
        for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return crc;
}
#endif
