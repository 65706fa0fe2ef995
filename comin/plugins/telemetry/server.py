"""The telemetry plugin's HTTP endpoint: Prometheus metrics, a live page, its data.

One port, served from a daemon thread by the standard library's WSGI server
(threaded) with prometheus_client's WSGI application for the metrics:

* ``/metrics``       the Prometheus exposition (prometheus_client renders the
                     registry; text or OpenMetrics as the scraper asks);
* ``/``              the live page (``live.html`` + ``live.js`` of this
                     directory: plots drawn as SVG by the page itself, no
                     resource from anywhere else);
* ``/api/history``   what the page plots, as JSON (``?since=SEQ``: only newer
                     samples).

Optional TLS (a certificate and key file: the socket is wrapped in an
``ssl.SSLContext``, as prometheus_client's own ``start_http_server`` does
it) and HTTP basic auth (one ``user:password`` line in a file) guard every
path.  prometheus_client's ``start_http_server`` cannot serve a second path,
so the server is assembled here from the same standard-library parts.
"""
from __future__ import annotations

import base64
import hmac
import json
import os
import socket
import ssl
import threading
import time
from socketserver import ThreadingMixIn
from typing import Callable, Optional, Tuple
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

HERE = os.path.dirname(os.path.abspath(__file__))
#: the live page's files (path -> (file, content type))
STATIC = {"/": ("live.html", "text/html; charset=utf-8"),
          "/index.html": ("live.html", "text/html; charset=utf-8"),
          "/live.js": ("live.js", "text/javascript; charset=utf-8")}
#: seconds between the serving thread's checks for shutdown
POLL_INTERVAL = 0.05


class ServerError(Exception):
    """The endpoint cannot start (the message is one line, naming the option)."""


class _QuietHandler(WSGIRequestHandler):
    """One request, in its own thread: the TLS handshake here (not in the accepting thread,
    where a client that stalls would block every other request and the shutdown at the
    end of the run), a time limit on a stalling client, no access log on the model's
    stderr."""

    timeout = 30

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()
        super().setup()

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that went away, stalled or spoke no TLS: nothing for the model's log."""


def read_basic_auth(path: str) -> Tuple[str, str]:
    """``(user, password)`` from a file holding one line ``user:password``."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line.rstrip("\r\n") for line in f if line.strip()]
    except OSError as exc:
        raise ServerError(f"--basic-auth-file {path}: cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ServerError(f"--basic-auth-file {path}: not UTF-8 text") from None
    if len(lines) != 1 or ":" not in lines[0] or not lines[0].split(":", 1)[0]:
        raise ServerError(f"--basic-auth-file {path}: expected one line USER:PASSWORD")
    user, password = lines[0].split(":", 1)
    return user, password


def tls_context(certfile: str, keyfile: str) -> ssl.SSLContext:
    """A server-side TLS context of a certificate (chain) and its private key."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(certfile=certfile, keyfile=keyfile)
    except (OSError, ssl.SSLError) as exc:
        raise ServerError(f"--tls-cert {certfile} --tls-key {keyfile}: cannot load the "
                          f"certificate and key: {getattr(exc, 'strerror', None) or exc}") from None
    return ctx


class Endpoint:
    """The exporter's HTTP endpoint (see the module's docstring).

    ``registry``: the prometheus_client registry to expose; ``history(since)``
    returns the JSON-able data of the live page; ``on_error(where, exc)`` is told
    about a failure while serving (the response is then a 500).
    """

    def __init__(self, registry, history: Callable[[int], dict],
                 on_error: Callable[[str, BaseException], None],
                 auth: Optional[Tuple[str, str]] = None, tls: Optional[ssl.SSLContext] = None):
        self._metrics = make_wsgi_app(registry)
        self._history = history
        self._on_error = on_error
        self._auth = None
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            self._auth = f"Basic {token}".encode()
        self._tls = tls
        self._static = {}
        for path, (name, ctype) in STATIC.items():
            with open(os.path.join(HERE, name), "rb") as f:
                self._static[path] = (f.read(), ctype)
        self._httpd = None
        self._thread = None
        #: seconds spent answering /metrics (the scrapes' cost on this rank)
        self.scrape_seconds = 0.0
        self.scrapes = 0

    # -- the WSGI application ------------------------------------------------------------
    def app(self, environ, start_response):
        if self._auth is not None:
            given = environ.get("HTTP_AUTHORIZATION", "").encode()
            if not hmac.compare_digest(given, self._auth):
                start_response("401 Unauthorized",
                               [("WWW-Authenticate", 'Basic realm="comin telemetry"'),
                                ("Content-Type", "text/plain; charset=utf-8")])
                return [b"401: this endpoint needs a user and password\n"]
        path = environ.get("PATH_INFO", "/")
        try:
            if path == "/metrics":
                t0 = time.perf_counter()
                try:
                    return self._metrics(environ, start_response)
                finally:
                    self.scrape_seconds += time.perf_counter() - t0
                    self.scrapes += 1
            if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
                start_response("405 Method Not Allowed", [("Allow", "GET, HEAD")])
                return [b""]
            if path in self._static:
                body, ctype = self._static[path]
                start_response("200 OK", [("Content-Type", ctype), ("Cache-Control", "no-cache")])
                return [body]
            if path == "/api/history":
                query = parse_qs(environ.get("QUERY_STRING", ""))
                try:
                    since = int(query.get("since", ["-1"])[0])
                except ValueError:
                    since = -1
                body = json.dumps(self._history(since), allow_nan=False,
                                  separators=(",", ":")).encode()
                start_response("200 OK", [("Content-Type", "application/json"),
                                          ("Cache-Control", "no-store")])
                return [body]
        except Exception as exc:  # noqa: BLE001 - a failed request never reaches the model
            self._on_error(f"serving {path}", exc)
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")],
                           None)
            return [b"500: the exporter failed to answer (see the model's log)\n"]
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"404: the comin telemetry endpoint serves /, /metrics and /api/history\n"]

    # -- starting and stopping -----------------------------------------------------------
    def start(self, host: str, port: int, option: str) -> None:
        """Bind ``host:port`` and serve from a daemon thread; :class:`ServerError` naming
        ``option`` when the address cannot be used."""
        where = f"{option} {_join(host, port)}"
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                       flags=socket.AI_PASSIVE)
        except socket.gaierror as exc:
            raise ServerError(f"{where}: unknown address ({exc.strerror})") from None

        class Server(_ThreadingServer):
            address_family = infos[0][0]

        try:
            httpd = make_server(infos[0][4][0], port, self.app, Server, _QuietHandler)
        except OSError as exc:
            raise ServerError(f"{where}: cannot listen there: {_why(exc)}") from None
        if self._tls is not None:
            httpd.socket = self._tls.wrap_socket(httpd.socket, server_side=True,
                                                 do_handshake_on_connect=False)
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, args=(POLL_INTERVAL,),
                                        name="comin-telemetry", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1] if self._httpd is not None else 0

    def url(self, host: str) -> str:
        scheme = "https" if self._tls is not None else "http"
        shown = "127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host
        return f"{scheme}://{_join(shown, self.port)}/"

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)


def _why(exc: OSError) -> str:
    import errno
    return {errno.EADDRINUSE: "the port is already in use (another exporter? choose another "
                              "port, or 0 for any free one)",
            errno.EACCES: "permission denied (ports below 1024 need root)",
            errno.EADDRNOTAVAIL: "this machine has no such address"}.get(
        exc.errno, exc.strerror or str(exc))


def address_problem(host: str, port: int) -> Optional[str]:
    """Why ``host:port`` cannot be listened on now (None: it can), found by binding it
    briefly as the endpoint would (a check before a run; the endpoint binds for real)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"unknown address ({exc.strerror})"
    family, _, _, _, sockaddr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as the server does
        sock.bind(sockaddr)
    except OSError as exc:
        return _why(exc)
    finally:
        sock.close()
    return None


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
