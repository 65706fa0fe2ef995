"""The telemetry plugin's endpoint process: Prometheus metrics, a live page, its data.

Started by the plugin on host rank 0 (:mod:`channel` says why a process of
its own) as ``python server.py``; it reads the configuration and then
snapshots of the run's numbers from its stdin, and serves the latest, on
one port, from the standard library's threaded WSGI server with
prometheus_client's WSGI application and metric families:

* ``/metrics``       the Prometheus exposition (prometheus_client renders it;
                     text or OpenMetrics as the scraper asks);
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

It answers ``READY <url>`` or ``ERROR <one line naming the option>`` on its
stdout, and exits when its stdin ends (the plugin stopped or died).  Only
the standard library and prometheus_client: no comin, no NumPy.
"""
from __future__ import annotations

import base64
import hmac
import json
import os
import socket
import ssl
import sys
import threading
import time
from collections import deque
from socketserver import ThreadingMixIn
from typing import Callable, Optional, Tuple
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

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
    """The HTTP endpoint (see the module's docstring).

    ``registry``: the prometheus_client registry to expose; ``history(since)``
    returns the JSON-able data of the live page; ``on_error(where, exc)`` is told
    about a failure while serving (the response is then a 500).
    """

    def __init__(self, registry, history: Callable[[int], dict],
                 on_error: Callable[[str, BaseException], None],
                 auth: Optional[Tuple[str, str]] = None, tls: Optional[ssl.SSLContext] = None):
        from prometheus_client import make_wsgi_app
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
        #: seconds spent answering /metrics
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


# -- the run's numbers, as the plugin sends them ----------------------------------------------

class Run:
    """The latest snapshot of the run and the history the live page plots.

    A snapshot (one JSON object from the plugin): ``samples`` (the history's
    points since the last snapshot: ``t``, ``step``, ``sim``, ``datetime``,
    ``speed``, ``step_seconds``, ``vars``, ``rss``, ``cost``), ``seq``, ``t`` (Unix time),
    ``state``, ``steps``, ``sim``, ``datetime``, ``speed``, ``step_seconds``,
    ``durations`` ([count, sum]), ``sim_end``, ``timings`` ([[plugin, entry
    point, calls, seconds], ...] or None), ``variables`` ([{key, name, domain,
    units, long_name}]), ``stats`` ({key: [mean, min, max, NaN count]}),
    ``rss``, ``cost`` (per rank), ``reductions``, ``errors``, ``ranks``,
    ``info``, ``note``.  Replaced whole: a scrape never sees half of one.
    """

    def __init__(self, history: int):
        self.latest: dict = {}
        self.history: deque = deque(maxlen=history)
        self.seq = 0
        self.errors = 0
        self._logged: set = set()
        self.endpoint: Optional[Endpoint] = None

    def update(self, snapshot: dict) -> None:
        for sample in snapshot.pop("samples", None) or ():
            self.seq += 1
            sample["seq"] = self.seq
            self.history.append(sample)
        self.latest = snapshot

    def failed(self, where: str, exc: BaseException) -> None:
        """A failure while serving: counted, its first occurrence per place logged."""
        self.errors += 1
        if where not in self._logged:
            self._logged.add(where)
            print(f"comin_telemetry (endpoint): {where} failed: {type(exc).__name__}: {exc}; "
                  "the model goes on (logged once)", file=sys.stderr, flush=True)

    # -- prometheus_client's Collector protocol ----------------------------------------------
    def collect(self):
        """The metric families of a scrape, from the latest snapshot."""
        from prometheus_client.core import (CounterMetricFamily, GaugeMetricFamily,
                                            InfoMetricFamily, SummaryMetricFamily)
        s = self.latest
        out = []
        if not s:
            return out
        try:
            def gauge(name, doc, value):
                if value is not None:
                    out.append(GaugeMetricFamily(name, doc, value=value))

            def counter(name, doc, value):
                if value is not None:
                    out.append(CounterMetricFamily(name, doc, value=value))

            gauge("comin_simulation_time_seconds",
                  "Simulated time since the experiment start (exp_start) after the last step.",
                  s.get("sim"))
            gauge("comin_simulation_end_time_seconds",
                  "Simulated time at which the run stops (run_stop), since exp_start.",
                  s.get("sim_end"))
            counter("comin_steps", "Time steps done (EP_ATM_TIMELOOP_END calls).", s.get("steps"))
            gauge("comin_model_speed_ratio",
                  "Simulated seconds per wall-clock second over the last step.", s.get("speed"))
            gauge("comin_last_step_duration_seconds", "Wall-clock time of the last step.",
                  s.get("step_seconds"))
            n, total = s.get("durations", (0, 0.0))
            out.append(SummaryMetricFamily("comin_step_duration_seconds",
                                           "Wall-clock time per time step.",
                                           count_value=n, sum_value=total))
            if s.get("timings") is not None:
                calls = CounterMetricFamily("comin_entry_point_calls", "Callback calls per plugin "
                                            "and entry point (comin run's summary table).",
                                            labels=["plugin", "entry_point"])
                secs = CounterMetricFamily("comin_entry_point_seconds", "Wall-clock time in "
                                           "callbacks per plugin and entry point (comin run's "
                                           "summary table).", labels=["plugin", "entry_point"])
                for plugin, ep, count, seconds in s["timings"]:
                    calls.add_metric([plugin, ep], count)
                    secs.add_metric([plugin, ep], seconds if seconds is not None else float("nan"))
                out += [calls, secs]
            fams = {kind: GaugeMetricFamily(f"comin_variable_{kind}", doc,
                                            labels=["variable", "domain"])
                    for kind, doc in (("mean", "Mean over the prognostic points of the domain "
                                               "(area-weighted for cells) and its levels."),
                                      ("min", "Minimum over the prognostic points."),
                                      ("max", "Maximum over the prognostic points."),
                                      ("nan_count", "NaN values at the prognostic points."))}
            info = InfoMetricFamily("comin_variable", "The reduced variables.",
                                    labels=["variable", "domain"])
            stats = s.get("stats", {})
            for var in s.get("variables", []):
                labels = [var["name"], str(var["domain"])]
                info.add_metric(labels, {"units": var["units"], "long_name": var["long_name"]})
                values = stats.get(var["key"])
                if values is None:
                    continue
                for kind, value in zip(("mean", "min", "max", "nan_count"), values):
                    fams[kind].add_metric(labels, float("nan") if value is None else value)
            out += list(fams.values()) + [info]
            rss = GaugeMetricFamily("comin_rank_resident_memory_bytes",
                                    "Resident memory of each host rank (read at most once a "
                                    "second, at a reduction).", labels=["rank"])
            cost = CounterMetricFamily("comin_exporter_seconds", "Wall-clock time in the "
                                       "exporter's callbacks on each rank.", labels=["rank"])
            for r, (m, c) in enumerate(zip(s.get("rss", []), s.get("cost", []))):
                if m is not None:
                    rss.add_metric([str(r)], m)
                if c is not None:
                    cost.add_metric([str(r)], c)
            out += [rss, cost]
            if self.endpoint is not None:
                counter("comin_exporter_scrape_seconds", "Time spent answering scrapes (the "
                        "endpoint process).", self.endpoint.scrape_seconds)
            counter("comin_exporter_reductions", "Reductions done (every --every-th call of "
                    "the --ep entry point, per domain).", s.get("reductions"))
            counter("comin_exporter_errors", "Exporter failures during the run (each place "
                    "logged once).", (s.get("errors") or 0) + self.errors)
            gauge("comin_host_ranks", "Host ranks.", s.get("ranks"))
            out.append(InfoMetricFamily("comin_run", "The run.", value=dict(s.get("info", {}))))
        except Exception as exc:  # noqa: BLE001 - a scrape gets what could be collected
            self.failed("collecting the metrics", exc)
        return out

    def history_data(self, since: int) -> dict:
        """The live page's data: run information and the samples after ``since``."""
        s = self.latest
        samples = [h for h in list(self.history) if h["seq"] > since]
        return {"state": s.get("state", "starting"), "seq": self.seq,
                "ranks": s.get("ranks", 1), "end": s.get("sim_end"),
                "variables": s.get("variables", []), "info": s.get("info", {}),
                "note": s.get("note", ""), "errors": (s.get("errors") or 0) + self.errors,
                "samples": samples,
                "timings": s.get("timings")}


def main() -> int:
    """``python server.py``: the endpoint process (see the module's docstring)."""
    sys.path.insert(0, HERE)
    from channel import read_frame

    stdin = os.fdopen(0, "rb")
    config = read_frame(stdin)
    if config is None:
        return 2
    run = Run(int(config.get("history", 10000)))

    def answer(line: str) -> None:
        sys.stdout.write(line.replace("\n", " ") + "\n")
        sys.stdout.flush()

    try:
        from prometheus_client import CollectorRegistry, ProcessCollector
    except ImportError as exc:
        answer(f"ERROR the telemetry plugin needs the Python package prometheus_client "
               f"(pip install prometheus_client): {exc}")
        return 2
    try:
        auth = (read_basic_auth(config["basic_auth_file"])
                if config.get("basic_auth_file") else None)
        tls = (tls_context(config["tls_cert"], config["tls_key"])
               if config.get("tls_cert") else None)
        registry = CollectorRegistry()
        registry.register(run)
        parent = int(config.get("parent_pid", os.getppid()))
        ProcessCollector(pid=lambda: parent, registry=registry)
        endpoint = Endpoint(registry, run.history_data, run.failed, auth=auth, tls=tls)
        endpoint.start(config["host"], int(config["port"]), config.get("option", "--listen"))
    except ServerError as exc:
        answer(f"ERROR {exc}")
        return 2
    run.endpoint = endpoint
    answer(f"READY {endpoint.url(config['host'])}")
    try:
        while True:
            try:
                snapshot = read_frame(stdin)
            except (OSError, ValueError) as exc:
                run.failed("reading the plugin's snapshots", exc)
                break
            if snapshot is None:
                break
            run.update(snapshot)
            if snapshot.get("ack"):
                os.write(0, b"\n")
    except KeyboardInterrupt:
        pass
    finally:
        endpoint.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
