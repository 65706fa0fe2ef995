"""The telemetry plugin's side of its endpoint process: start it, feed it, stop it.

Why a process of its own: a C or Fortran host (ICON, comin's embedded
hosts) keeps Python's GIL on its own thread between callbacks, so an HTTP
thread inside the model's process would answer only while the model runs
Python -- a scrape then takes several time steps.  The endpoint process
(:mod:`server`) never waits for the model, and the model never waits for it.

The channel is a socket pair (the child's stdin): the plugin writes frames
``<length>\\n<JSON>``; the first is the configuration, then snapshots of
the numbers.  Writes never block the model: what the socket cannot take now
stays pending, and a newer snapshot is dropped until the pending one is out
(the next one supersedes it anyway).  ``MSG_NOSIGNAL``: a host that embeds
Python has no SIGPIPE handler, and a dead endpoint must not kill the model.
A frame that asks for it is acknowledged (one byte back), so the endpoint
is known to serve the final numbers before the run goes on.  The child
exits when the channel closes: it never outlives the plugin.
"""
from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
from typing import Optional

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_SCRIPT = os.path.join(HERE, "server.py")
_NOSIGNAL = getattr(socket, "MSG_NOSIGNAL", 0)


class ChannelError(Exception):
    """The endpoint process cannot start (the message is one line, naming the option)."""


def frame(obj) -> bytes:
    """One frame: the length of the JSON payload, a newline, the payload."""
    payload = json.dumps(obj, allow_nan=False, separators=(",", ":")).encode()
    return b"%d\n" % len(payload) + payload


def read_frame(stream) -> Optional[dict]:
    """The next frame from a binary stream, or None at its end."""
    head = stream.readline()
    if not head:
        return None
    size = int(head)
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return json.loads(data)


def python_executable() -> Optional[str]:
    """A Python interpreter to run the endpoint with: this one (an embedding host's
    ``sys.executable`` may be the host's own binary, which must never be started)."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    candidates = [sys.executable, getattr(sys, "_base_executable", ""),
                  os.path.join(sys.exec_prefix, "bin", f"python{version}"),
                  os.path.join(sys.exec_prefix, "bin", "python3")]
    for path in candidates:
        if path and os.path.basename(path).startswith("python") and os.access(path, os.X_OK):
            return path
    return None


class Sidecar:
    """The endpoint process of one plugin instance (rank 0)."""

    def __init__(self, config: dict, timeout: float = 30.0):
        python = python_executable()
        if python is None:
            raise ChannelError(f"no Python interpreter found to run the endpoint (looked at "
                               f"sys.executable={sys.executable!r} and {sys.exec_prefix}/bin)")
        mine, theirs = socket.socketpair()
        env = dict(os.environ)
        # the endpoint finds what this interpreter finds (prometheus_client)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
        try:
            self.proc = subprocess.Popen([python, SERVER_SCRIPT], stdin=theirs,
                                         stdout=subprocess.PIPE, close_fds=True, env=env)
        except OSError as exc:
            mine.close()
            raise ChannelError(f"cannot start the endpoint process ({python}): "
                               f"{exc.strerror}") from None
        finally:
            theirs.close()
        self.sock = mine
        self.pending = b""
        self.dropped = 0
        self.broken = False
        self.url = ""
        try:
            self.sock.sendall(frame(config))
            line = self._line(timeout)
        except OSError as exc:
            line = f"ERROR the endpoint process failed: {exc}"
        if not line.startswith("READY "):
            self.close(wait=2.0)
            raise ChannelError(line[len("ERROR "):] if line.startswith("ERROR ") else
                               f"the endpoint process did not start within {timeout:g} s "
                               f"(exit status {self.proc.poll()}; its messages are above)")
        self.url = line[len("READY "):]
        self.proc.stdout.close()
        self.sock.setblocking(False)

    def _line(self, timeout: float) -> str:
        """The child's first line (READY or ERROR), waiting at most ``timeout``."""
        out = self.proc.stdout
        end = time.monotonic() + timeout
        data = b""
        while not data.endswith(b"\n"):
            left = end - time.monotonic()
            if left <= 0 or not select.select([out], [], [], left)[0]:
                return ""
            chunk = os.read(out.fileno(), 4096)
            if not chunk:
                break
            data += chunk
        return data.decode(errors="replace").strip()

    def send(self, obj, ack: bool = False, timeout: float = 5.0) -> bool:
        """Hand a snapshot over without blocking (False: dropped, the channel is busy or
        broken).  ``ack``: wait up to ``timeout`` for the endpoint to have taken it."""
        if self.broken:
            return False
        if self.pending and not self._flush():
            self.dropped += 1
            return False
        if ack:
            obj = dict(obj, ack=True)
        self.pending = frame(obj)
        self._flush()
        if ack:
            return self._acknowledged(timeout)
        return True

    def _flush(self) -> bool:
        """Write what is pending; True when nothing is left."""
        while self.pending:
            try:
                n = self.sock.send(self.pending, _NOSIGNAL)
            except (BlockingIOError, InterruptedError):
                return False
            except OSError:
                self.broken = True
                self.pending = b""
                return False
            self.pending = self.pending[n:]
        return True

    def _acknowledged(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return False
            if self.pending:
                select.select([], [self.sock], [], min(left, 0.05))
                self._flush()
                continue
            if select.select([self.sock], [], [], left)[0]:
                try:
                    return self.sock.recv(64) != b""
                except OSError:
                    return False

    def close(self, wait: float = 5.0) -> None:
        """Close the channel (the endpoint exits) and reap the process."""
        try:
            self.sock.close()
        except OSError:
            pass
        proc = getattr(self, "proc", None)
        if proc is None:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
