#!/usr/bin/env bash
# Fuzzes every SwiftRTC parser with libFuzzer: builds the Fuzz/ package with
# -sanitize=fuzzer and runs each target for RUNS inputs (default 1,000,000), starting from the
# seed corpus in Fuzz/Corpus/<target> when there is one. Exits non-zero on the first crash.
# Usage: scripts/fuzz.sh [RUNS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
runs="${1:-1000000}"; shift || true
swift build -c release -Xswiftc -sanitize=fuzzer 2>&1 | grep -v '^\[' || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(grep -o 'fuzzTarget("[A-Za-z0-9]*"' Package.swift | cut -d'"' -f2)
fi
bin=$(swift build -c release -Xswiftc -sanitize=fuzzer --show-bin-path)
for t in "${targets[@]}"; do
  corpus="Corpus/$t"; work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus/." "$work/" || true
  echo "== $t: $runs inputs"
  set +e
  # Swift's backtracer would claim SIGILL/SIGTRAP first (libFuzzer then installs no handler of
  # its own) and end the process on a trap before libFuzzer writes the crashing input: turn it
  # off so a fatalError/precondition leaves /tmp/fuzz-<target>-crash-<sha1> behind.
  SWIFT_BACKTRACE=enable=no "$bin/$t" -runs="$runs" -max_len=4096 -print_final_stats=1 -artifact_prefix="/tmp/fuzz-$t-" "$work" > "/tmp/fuzz-$t.log" 2>&1
  status=$?
  set -e
  grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' "/tmp/fuzz-$t.log" || true
  if [ $status -ne 0 ]; then echo "CRASH in $t (exit $status); see /tmp/fuzz-$t.log; input: $(ls /tmp/fuzz-$t-crash-* 2>/dev/null | tail -1)"; tail -40 "/tmp/fuzz-$t.log"; exit 1; fi
  rm -rf "$work"
done
echo "fuzz: all targets ran $runs inputs with no crash"
