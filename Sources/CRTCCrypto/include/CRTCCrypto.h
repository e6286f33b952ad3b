// CRTCCrypto: the few primitives SRTP, DTLS records and SCTP need per packet, with keyed state
// prepared once per context so protect/unprotect allocate nothing. Written for SwiftRTC from FIPS-197 (AES),
// NIST SP 800-38A/38D (CTR, GCM), FIPS 180-4 (SHA-1) and RFC 2104 (HMAC).
//
// AES and GCM use AES-NI and PCLMULQDQ on x86-64 and exist only where
// crtc_cpu_has_aes_gcm() is true; callers keep another implementation for other CPUs. Where
// the CPU also has VAES and VPCLMULQDQ (crtc_cpu_has_vaes_gcm()), counter mode and GCM work on
// two blocks per 256-bit register instead.
// SHA-1 / HMAC-SHA1 use SHA-NI when present and a portable C version everywhere else.
#ifndef CRTC_CRYPTO_H
#define CRTC_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU runs the AES-NI / PCLMULQDQ code (x86-64 with AES, PCLMUL, SSSE3, SSE4.1).
int crtc_cpu_has_aes_gcm(void);
/// 1 when this CPU also runs the 256-bit code (VAES, VPCLMULQDQ and AVX2 — AVX-512 is not
/// needed): crtc_aes_init and crtc_gcm_init then choose it.
int crtc_cpu_has_vaes_gcm(void);
/// 1 when this CPU has the SHA extensions (SHA-NI) the SHA-1 code can use.
int crtc_cpu_has_sha(void);

/// An expanded AES-128 or AES-256 encryption key (FIPS-197 §5.2).
typedef struct {
    _Alignas(16) uint8_t roundKeys[15 * 16];
    int32_t rounds;  // 10 or 14
    int32_t wide;    // 1 when counter mode and GCM use the 256-bit VAES code
} crtc_aes_key;

/// Expands a 16- or 32-byte key. Returns 0, or -1 for another length or a CPU without AES-NI.
/// Chooses the 256-bit code when crtc_cpu_has_vaes_gcm().
int crtc_aes_init(crtc_aes_key *key, const uint8_t *bytes, size_t length);
/// crtc_aes_init, with `allowWide` 0 forcing the 128-bit code (`wide` stays 0) even on a CPU
/// with VAES, so tests can compare the two.
int crtc_aes_init_with(crtc_aes_key *key, const uint8_t *bytes, size_t length, int allowWide);
/// Encrypts one 16-byte block (in and out may alias).
void crtc_aes_encrypt_block(const crtc_aes_key *key, const uint8_t in[16], uint8_t out[16]);
/// XORs AES counter-mode keystream over `data` in place (SP 800-38A §6.5): the first block
/// is E(counter), the counter a 128-bit big-endian number incremented per block.
void crtc_aes_ctr_xor(const crtc_aes_key *key, const uint8_t counter[16], uint8_t *data, size_t length);

/// An AES-GCM key: the AES key and the powers H^1 … H^8 of the hash key, bit-reflected for
/// PCLMULQDQ (SP 800-38D §6.4), with the XOR of each power's two halves (Karatsuba).
/// When `aes.wide` is 1, hWide also holds H^16 … H^1 in pairs for the 256-bit code: entry i
/// is H^(16-2i) in its low 16 bytes and H^(15-2i) in its high 16 bytes (two blocks in
/// ascending order meet descending powers), that is H^16, H^15, …, H^1 as sixteen consecutive
/// blocks; hWideHalves is its Karatsuba companion.
typedef struct {
    crtc_aes_key aes;
    _Alignas(16) uint8_t hPowers[8][16];
    _Alignas(16) uint8_t hHalves[8][16];
    _Alignas(16) uint8_t hWide[8][32];
    _Alignas(16) uint8_t hWideHalves[8][32];
} crtc_gcm_key;

/// Prepares a GCM key from a 16- or 32-byte AES key. Returns 0 or -1 (as crtc_aes_init).
/// Chooses the 256-bit code when crtc_cpu_has_vaes_gcm() (`aes.wide` is then 1).
int crtc_gcm_init(crtc_gcm_key *key, const uint8_t *bytes, size_t length);
/// crtc_gcm_init, with `allowWide` 0 forcing the 128-bit code (`aes.wide` stays 0) even on a
/// CPU with VAES; both produce the same bytes and tags.
int crtc_gcm_init_with(crtc_gcm_key *key, const uint8_t *bytes, size_t length, int allowWide);
/// Encrypts `data` in place under the 12-byte `iv` and writes the 16-byte tag. The
/// authenticated data is `aad` followed by `aad2` (either may be empty).
void crtc_gcm_seal(const crtc_gcm_key *key, const uint8_t iv[12],
                   const uint8_t *aad, size_t aadLength, const uint8_t *aad2, size_t aad2Length,
                   uint8_t *data, size_t length, uint8_t tag[16]);
/// Decrypts `data` in place if `tag` (compared in constant time) is right and returns 0;
/// otherwise returns -1 with `data` restored to the ciphertext it was.
int crtc_gcm_open(const crtc_gcm_key *key, const uint8_t iv[12],
                  const uint8_t *aad, size_t aadLength, const uint8_t *aad2, size_t aad2Length,
                  uint8_t *data, size_t length, const uint8_t tag[16]);

/// SHA-1 (FIPS 180-4 §6.1) of `data`; `accelerate` 0 forces the portable code.
void crtc_sha1(const uint8_t *data, size_t length, uint8_t digest[20], int accelerate);

/// An HMAC-SHA1 key (RFC 2104): the hash states after the inner and outer padded key blocks.
typedef struct {
    uint32_t inner[5];
    uint32_t outer[5];
    int32_t accelerated;  // 1 when SHA-NI is used
} crtc_hmac_sha1_key;

/// Prepares the key (any length; longer than 64 bytes is hashed first). `accelerate` 0
/// forces the portable SHA-1, otherwise SHA-NI is used when the CPU has it.
void crtc_hmac_sha1_init(crtc_hmac_sha1_key *key, const uint8_t *bytes, size_t length, int accelerate);
/// HMAC-SHA1 of `data` followed by `data2` (either may be empty).
void crtc_hmac_sha1(const crtc_hmac_sha1_key *key, const uint8_t *data, size_t length,
                    const uint8_t *data2, size_t length2, uint8_t mac[20]);
/// 1 when the first `tagLength` (≤ 20) bytes of HMAC-SHA1(data ‖ data2) equal `tag`,
/// compared in constant time; 0 otherwise.
int crtc_hmac_sha1_verify(const crtc_hmac_sha1_key *key, const uint8_t *data, size_t length,
                          const uint8_t *data2, size_t length2, const uint8_t *tag, size_t tagLength);

/// 1 when this CPU has the SSE4.2 CRC32 instruction crtc_crc32c_update runs on.
int crtc_cpu_has_crc32c(void);
/// Folds `data` into a running (not inverted) CRC-32C register (RFC 9260 Appendix B: start with
/// 0xFFFFFFFF, invert the result). With SSE4.2 only (crtc_cpu_has_crc32c); elsewhere a slow
/// bitwise loop.
uint32_t crtc_crc32c_update(uint32_t crc, const uint8_t *data, size_t length);

/// 1 when the `length` bytes at a and b are equal; time depends only on `length`.
int crtc_equal_constant_time(const uint8_t *a, const uint8_t *b, size_t length);

#ifdef __cplusplus
}
#endif

#endif
