#!/usr/bin/env bash
# Installs the real peers the interop tests talk to (see ../shared/INTEROP.md):
# coturn, openssl, iproute2 (for the private namespace), headless Chromium and Firefox, ffmpeg (decodes what
# RTCMediaTests write), Go with Pion WebRTC v3 (a room peer), PostgreSQL (the signaling cluster's
# database: tests run a throwaway cluster of their own, `PostgresServer`), and a Python venv
# at .venv with aiortc and aioice. Idempotent: quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v turnserver >/dev/null 2>&1 || need_apt+=(coturn)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
command -v unshare >/dev/null 2>&1 || need_apt+=(util-linux)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v firefox-esr >/dev/null 2>&1 || need_apt+=(firefox-esr)
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
# PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) in /usr/lib/postgresql/<version>/bin.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql)
[ -f /usr/include/srtp2/srtp.h ] || need_apt+=(libsrtp2-dev)
# Pion (Go, Debian's packaged sources) for scripts/interop/pion, built by scripts/build-pion.sh.
command -v go >/dev/null 2>&1 || need_apt+=(golang-go)
[ -d /usr/share/gocode/src/github.com/pion/webrtc ] || need_apt+=(golang-github-pion-webrtc.v3-dev)
[ -d /usr/share/gocode/src/github.com/gorilla/websocket ] || need_apt+=(golang-github-gorilla-websocket-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-peers: apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# coturn's package may start a daemon on some systems; tests start their own instances.
# The same for PostgreSQL's default cluster.
if command -v systemctl >/dev/null 2>&1; then systemctl stop coturn postgresql >/dev/null 2>&1 || true; fi

if ! .venv/bin/python -c 'import aiortc, aioice' >/dev/null 2>&1; then
  echo "install-peers: creating .venv with aiortc and aioice"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check 'aiortc==1.16.*' 'aioice==0.13.*'
fi
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
echo "install-peers: ok (coturn $(turnserver --version 2>/dev/null | head -1), $("$pg_bin/postgres" --version), $(openssl version | cut -d' ' -f1-2), $(chromium --version 2>/dev/null | head -1), $(firefox-esr --version 2>/dev/null | head -1), aiortc $(.venv/bin/python -c 'import aiortc; print(aiortc.__version__)'))"
