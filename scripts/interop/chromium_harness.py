"""What the headless-Chromium interop peers share: a loopback HTTP server that serves one page
and relays between it and this process's stdin/stdout (JSON lines), and the Chromium launch.

The page GETs /role, /mode and /params (strings the script sets), polls /remote for the remote
description and /candidates?from=N for trickled candidates, and POSTs /description, /candidate
and /event, each printed as one JSON line. Input lines with a "candidate" key are queued for
/candidates; any other line is the remote description (or a command the page polls at /remote).
Loopback only.
"""
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
# The fake camera runs at 20 fps unless told otherwise; remote audio plays without a gesture.
FAKE_MEDIA_FLAGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream=fps=30",
                    "--autoplay-policy=no-user-gesture-required"]


class Relay:
    """The page's server; `values` answers GET /<name>."""

    def __init__(self, page, values):
        self.page = page
        self.values = dict(values)
        self.remote = ""
        self.candidates = []
        self.lock = threading.Lock()
        relay = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, body, ctype="text/plain"):
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                name = self.path.lstrip("/")
                if self.path == "/":
                    self._send(relay.page, "text/html")
                elif name in relay.values:
                    self._send(relay.values[name])
                elif self.path == "/remote":
                    with relay.lock:
                        text, relay.remote = relay.remote, ("" if relay.values.get("consume") else relay.remote)
                    self._send(text)
                elif self.path.startswith("/candidates?from="):
                    start = int(self.path.split("=", 1)[1])
                    with relay.lock:
                        pending = relay.candidates[start:]
                    self._send(json.dumps(pending), "application/json")
                else:
                    self.send_error(404)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                relay.emit(json.loads(body))
                self._send("ok")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def emit(self, obj):
        with self.lock:
            sys.stdout.write(json.dumps(obj) + "\n")
            sys.stdout.flush()

    def run(self, fake_media):
        """Starts Chromium on the page and relays stdin until it ends, then stops Chromium."""
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            raise SystemExit("chromium is not installed (scripts/install-peers.sh installs it)")
        profile = tempfile.mkdtemp(prefix="swiftrtc-chromium-")
        browser = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *(FAKE_MEDIA_FLAGS if fake_media else []), self.url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

        def stopped(signum, frame):
            # The test stops this peer with SIGTERM (and SIGKILL half a second later): stop
            # Chromium and its helper processes (its own process group) at once, then remove
            # the profile, which the default action would leave in /tmp (and which a helper
            # still running would write to again).
            try:
                os.killpg(browser.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                browser.wait(0.3)
            except subprocess.TimeoutExpired:
                pass
            shutil.rmtree(profile, ignore_errors=True)
            os._exit(0)

        signal.signal(signal.SIGTERM, stopped)
        # A test process may start this one with SIGTERM blocked (a blocked signal mask is
        # inherited): unblock it, or the handler never runs and the SIGKILL after it leaves
        # the profile behind.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        try:
            for line in sys.stdin:
                line = line.strip()
                if not line:
                    continue
                if "candidate" in json.loads(line):
                    with self.lock:
                        self.candidates.append(json.loads(line))
                else:
                    with self.lock:
                        self.remote = line
        finally:
            browser.terminate()
            try:
                browser.wait(5)
            except subprocess.TimeoutExpired:
                browser.kill()
            shutil.rmtree(profile, ignore_errors=True)
