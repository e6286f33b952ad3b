#!/usr/bin/env bash
# SRTP benchmark (issue 12 item 2), never a timed test: in one run, ns/packet for protect and
# unprotect of RTP packets with 1,200-byte payloads, SRTP_AES128_CM_HMAC_SHA1_80 and
# SRTP_AEAD_AES_128_GCM — SwiftRTC (CRTCCrypto, and the swift-crypto fallback) side by side with
# Debian's libsrtp 2 (scripts/libsrtp-harness.c), with the ratio, and heap allocations per
# packet.
# Usage: scripts/bench-srtp.sh [PACKETS]   (default 200000 per profile and direction)
#
# Allocations are counted by a tiny LD_PRELOAD shim compiled here: it wraps malloc, calloc,
# realloc, posix_memalign, aligned_alloc, memalign and valloc, counts the calls per thread
# and exports srtpbench_allocations(); both benchmarks read that count around their timed
# loops (single-threaded), so the figure is every malloc-family call made by protect/unprotect.
set -euo pipefail
cd "$(dirname "$0")/.."
packets="${1:-200000}"
out=.build/bench-srtp
mkdir -p "$out"

cc -O2 -Wall -o "$out/libsrtp-harness" scripts/libsrtp-harness.c -lsrtp2
cat > "$out/malloc-count.c" <<'SHIM'
#include <stddef.h>
#include <stdint.h>
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
static __thread uint64_t count __attribute__((tls_model("initial-exec")));
uint64_t srtpbench_allocations(void) { return count; }
void *malloc(size_t n) { count++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { count++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { count++; return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { count++; return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { count++; return __libc_memalign(a, n); }
void *valloc(size_t n) { count++; return __libc_memalign(4096, n); }
int posix_memalign(void **p, size_t a, size_t n) { count++; void *r = __libc_memalign(a, n); if (!r) return 12; *p = r; return 0; }
SHIM
cc -O2 -shared -fPIC -o "$out/malloc-count.so" "$out/malloc-count.c"

swift build -c release --product swiftrtc-bench 2>&1 | tail -1
bin="$(swift build -c release --show-bin-path)/swiftrtc-bench"

# What "libsrtp speed" means here: which crypto library Debian's libsrtp2 is built on.
lib="$(ldd "$out/libsrtp-harness" | awk '/libsrtp2/ {print $3}')"
deps="$(ldd "$lib")"  # read whole first: `ldd | grep -q` under pipefail fails when grep quits early
if grep -q libnss3 <<<"$deps"; then
  backend="NSS (libnss3: AES-CTR and AES-GCM with AES-NI in NSS's freebl, HMAC-SHA1 through NSS's PK11 layer), not OpenSSL"
elif grep -q libcrypto <<<"$deps"; then
  backend="OpenSSL (libcrypto)"
else
  backend="libsrtp's built-in crypto (no AES-NI)"
fi

results="$out/results.txt"
{
  LD_PRELOAD="$PWD/$out/malloc-count.so" "$out/libsrtp-harness" bench "$packets"
  LD_PRELOAD="$PWD/$out/malloc-count.so" "$bin" srtp "$packets"
} > "$results"

echo "CPU: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); $(grep -m1 '^libsrtp version' "$results" | cut -d' ' -f3-) from $lib"
echo "Debian's libsrtp2 uses $backend."
echo "RTP, 1,200-byte payloads, $packets packets per row; ns/packet (allocations/packet):"
awk '
  $1 == "libsrtp" && $2 != "version" { lib[$2 " " $3] = $4; libA[$2 " " $3] = $5 }
  $1 == "swiftrtc" && $2 == "native" { nat[$3 " " $4] = $5; natA[$3 " " $4] = $6 }
  $1 == "swiftrtc" && $2 == "swift-crypto" { sc[$3 " " $4] = $5; scA[$3 " " $4] = $6 }
  END {
    printf "%-28s %-9s %16s %16s %8s %18s\n", "profile", "op", "SwiftRTC", "libsrtp", "ratio", "swift-crypto path"
    split("SRTP_AES128_CM_HMAC_SHA1_80 SRTP_AEAD_AES_128_GCM", profiles, " ")
    split("protect unprotect", ops, " ")
    for (p = 1; p <= 2; p++) for (o = 1; o <= 2; o++) {
      k = profiles[p] " " ops[o]
      printf "%-28s %-9s %9.0f (%4.2f) %9.0f (%4.2f) %7.2fx %11.0f (%4.2f)\n", profiles[p], ops[o], nat[k], natA[k], lib[k], libA[k], nat[k] / lib[k], sc[k], scA[k]
    }
    print "Goals: GCM <= 1.0x libsrtp, CM-HMAC <= 1.5x libsrtp, 0 allocations/packet (SwiftRTC column)."
  }' "$results"
