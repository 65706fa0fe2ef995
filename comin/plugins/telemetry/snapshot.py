"""The live page in headless Chromium: its rendered DOM, a screenshot, the requests it made.

For the docs build (a picture of the page while a run goes on) and the tests
(the page renders and draws the series; nothing leaves the machine).  Needs
a ``chromium`` (Debian's package; ``$COMIN_CHROMIUM`` names another binary).

Chromium runs with a throw-away profile, most background services off, every
host name but ``localhost`` and 127.0.0.1 unresolvable (``--host-resolver-rules``:
a page that reaches out fails visibly instead of waiting), and a network log:
:attr:`Snapshot.requests` lists every request with the site it was made for
(Chromium's network isolation key), so :meth:`Snapshot.page_requests` tells the
page's own requests (its resources, its ``fetch``) from the browser's (update
and sign-in services, which name no page).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

#: Chromium without anything that talks to the network on its own
QUIET = ["--headless=new", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability",
         "--disable-client-side-phishing-detection", "--disable-breakpad", "--mute-audio",
         "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,"
         "CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]


class BrowserError(RuntimeError):
    """Chromium is missing, failed or timed out (the message says which)."""


@dataclass
class Snapshot:
    """What one visit of the page gave."""

    dom: str = ""
    screenshot: Optional[str] = None
    #: (URL, the network isolation key: "<top-frame site> <frame site>", "null null" for
    #: the browser's own requests) of every request
    requests: List[Tuple[str, str]] = field(default_factory=list)

    def page_requests(self, url: str) -> List[str]:
        """URLs requested by the page at ``url``: its navigation and every request made in
        its context (same top-frame site), wherever they go."""
        site = _site(url)
        return [u for u, key in self.requests
                if u == url or (key.split() or [""])[0] == site]


def find_chromium() -> Optional[str]:
    """The Chromium binary: ``$COMIN_CHROMIUM``, else ``chromium`` / ``chromium-browser`` /
    ``google-chrome`` on PATH; None without one."""
    named = os.environ.get("COMIN_CHROMIUM")
    if named:
        return shutil.which(named) or (named if os.path.isfile(named) else None)
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def visit(url: str, *, screenshot: Optional[str] = None, window: Tuple[int, int] = (1280, 1000),
          wait_ms: int = 4000, timeout: float = 90.0) -> Snapshot:
    """Open ``url``, let its scripts run for ``wait_ms`` of (virtual) time, and return the
    rendered DOM; with ``screenshot`` (a .png path) also take a picture."""
    chromium = find_chromium()
    if chromium is None:
        raise BrowserError("no Chromium found (apt-get install chromium, or set $COMIN_CHROMIUM)")
    with tempfile.TemporaryDirectory(prefix="comin-chromium-") as tmp:
        netlog = os.path.join(tmp, "netlog.json")
        base = [chromium, *QUIET, f"--user-data-dir={os.path.join(tmp, 'profile')}",
                f"--log-net-log={netlog}", "--net-log-capture-mode=Default",
                f"--virtual-time-budget={wait_ms}", f"--window-size={window[0]},{window[1]}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            base.append("--no-sandbox")            # Chromium's sandbox refuses to run as root
        snap = Snapshot()
        what = ["--dump-dom"] if screenshot is None else [f"--screenshot={screenshot}"]
        try:
            proc = subprocess.run(base + what + [url], capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BrowserError(f"Chromium did not finish with {url} in {timeout:g} s") from None
        if proc.returncode != 0:
            raise BrowserError(f"Chromium failed (exit {proc.returncode}) on {url}:\n"
                               f"{proc.stderr[-2000:]}")
        if screenshot is None:
            snap.dom = proc.stdout
        else:
            if not os.path.isfile(screenshot):
                raise BrowserError(f"Chromium wrote no screenshot {screenshot}:\n{proc.stderr[-2000:]}")
            snap.screenshot = screenshot
        snap.requests = _network(netlog)
    return snap


def _site(url: str) -> str:
    """Chromium's "site" of a URL: scheme and host (no port)."""
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}"


def _network(path: str) -> List[Tuple[str, str]]:
    """(URL, network isolation key) of every request in a Chromium network log."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return []
    try:
        log = json.loads(text)
    except ValueError:           # a log cut short: close it as Chromium would have
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    types = {v: k for k, v in log.get("constants", {}).get("logEventTypes", {}).items()}
    out = []
    for event in log.get("events", []):
        params = event.get("params") or {}
        if types.get(event.get("type")) == "URL_REQUEST_START_JOB" and "url" in params:
            out.append((params["url"], str(params.get("network_isolation_key", ""))))
    return out
