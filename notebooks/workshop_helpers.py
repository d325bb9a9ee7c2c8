"""Small helpers for the workshop notebooks (notebook 5, "Who blocked the loop?").

Standard library only. They live in a module, not in a notebook cell, for two reasons:

- a process pool sends its work to other Python processes by pickling a *reference* to
  the function (module and name); a function defined in a notebook cell cannot be found
  again by a freshly started process, one defined here can (on every platform);
- the slow web server and the two HTTP clients are plumbing: the notebook is about what
  the event loop does while they run, not about HTTP.

    server = start_slow_server()        # a web server on 127.0.0.1, in a thread
    get(server.url("/slow?delay=0.2"))  # blocking client (urllib): b'slow 0.2'
    await aget(server.url("/slow"))     # async client (asyncio streams): the same bytes
    crunch(200_000)                     # pure-Python CPU work, returns an int
"""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

__all__ = ["SlowServer", "start_slow_server", "get", "aget", "crunch"]


class _SlowHandler(BaseHTTPRequestHandler):
    """``GET /slow?delay=S`` answers ``slow S`` after S seconds (default: the server's);
    any other path answers at once. One request per connection (HTTP/1.0)."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/slow":
            query = parse_qs(parts.query)
            delay = float(query.get("delay", [self.server.delay])[0])  # type: ignore[attr-defined]
            time.sleep(delay)  # the server's own thread waits; the client just sees "slow"
            body = f"slow {delay:g}".encode()
        else:
            body = b"fast"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base's name
        pass  # keep the notebook's output clean


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # many clients connect at once: none may wait for a retry
    delay = 0.2


class SlowServer:
    """A web server on 127.0.0.1 (a free port) answering from its own threads, one per
    request, so many requests can wait on it at the same time."""

    def __init__(self, delay: float = 0.2):
        self._httpd = _Server(("127.0.0.1", 0), _SlowHandler)
        self._httpd.delay = delay
        self.delay = delay
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="slow-server", daemon=True
        )
        self._thread.start()

    def url(self, path: str = "/slow") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __repr__(self) -> str:
        return f"<SlowServer {self.url('/')} answers /slow after {self.delay:g} s>"


def start_slow_server(delay: float = 0.2) -> SlowServer:
    """Start a :class:`SlowServer` whose ``/slow`` answers after `delay` seconds."""
    return SlowServer(delay)


# no proxy: a proxy set in the environment must not see requests to 127.0.0.1
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(url: str, timeout: float = 10) -> bytes:
    """Fetch `url` and return the body: an ordinary *blocking* call (urllib). The calling
    thread waits inside it until the answer arrives."""
    with _opener.open(url, timeout=timeout) as response:
        return response.read()


async def aget(url: str) -> bytes:
    """Fetch `url` and return the body, *without blocking*: a minimal HTTP/1.0 GET over
    ``asyncio.open_connection``. Every wait is an ``await``, so the event loop runs other
    tasks meanwhile. (Plain http only, no redirects: enough for the local server.)"""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {target} HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n".encode("ascii"))
        await writer.drain()
        response = await reader.read()  # HTTP/1.0: the server closes when it is done
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = response.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0]
    if b" 200 " not in status + b" ":
        raise OSError(f"{url}: {status.decode('latin-1')}")
    return body


def crunch(n: int) -> int:
    """Pure-Python CPU work: about n loop turns of arithmetic, holding the GIL throughout
    (no I/O, no C extension that releases it). Returns a number so the work is used."""
    total = 0
    for i in range(n):
        total = (total + i * i) % 1_000_003
    return total
