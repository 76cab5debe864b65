"""A test-only endpoint that answers ClickHouse's HTTP interface by running each query through
chDB in the format the client asks for, so clickhouse-connect (its parameter binding, its Native
format reader, its error handling) meets real ClickHouse output without a server."""

from __future__ import annotations

import re
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_FORMAT = re.compile(r"\bFORMAT\s+(\w+)\s*$", re.IGNORECASE)
_INPUT = re.compile(r"\binput\('([^']*)'\)")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - the base's name
        self._answer(b"")

    def do_POST(self) -> None:  # noqa: N802
        self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _answer(self, body: bytes) -> None:
        url = urllib.parse.urlsplit(self.path)
        qs = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        self.server.seen.append({k: v for k, v in qs.items() if k.startswith("param_")})
        self.server.keys.append(
            self.headers.get("X-ClickHouse-Key") or self.headers.get("Authorization")
        )
        if self.headers.get_content_type() == "multipart/form-data":  # long parameters
            qs.update(_form_fields(self.headers.get("Content-Type", ""), body))
            body = b""
        query, data = qs.get("query", ""), b""
        if query:
            data = body  # the query in the URL: the body is the INSERT's rows
        else:
            query = body.decode()
        params = {k[len("param_") :]: v for k, v in qs.items() if k.startswith("param_")}
        fmt = qs.get("default_format", "TabSeparated")
        m = _FORMAT.search(query)
        if m:
            fmt, query = m.group(1), query[: m.start()]
        try:
            with tempfile.NamedTemporaryFile(suffix=".data") as f:
                if data:  # input('structure') reads the body: here, a file holding it
                    f.write(data)
                    f.flush()
                    params["chtest_body"] = f.name
                    query = _INPUT.sub(r"file({chtest_body:String}, JSONEachRow, '\1')", query)
                with self.server.lock:  # a chDB session answers one query at a time
                    out = self.server.session.query(query, fmt, params=params).bytes()
            code = 200
        except Exception as exc:  # what ClickHouse says: the error's text, status 500
            out, code = f"Code: 62. DB::Exception: {exc}".encode(), 500
        self.send_response(code)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(out)))
        self.send_header("X-ClickHouse-Format", fmt)
        self.send_header("X-ClickHouse-Timezone", "UTC")
        if code != 200:
            self.send_header("X-ClickHouse-Exception-Code", "62")
        self.end_headers()
        self.wfile.write(out)


def _form_fields(content_type: str, body: bytes) -> dict[str, str]:
    """The fields of a multipart/form-data body (the driver sends the query and its
    parameters so when they are long), as ClickHouse reads them."""
    from email.parser import BytesParser

    message = BytesParser().parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields = {}
    for part in message.get_payload():  # type: ignore[union-attr]
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if name and isinstance(payload, bytes):
            fields[str(name)] = payload.decode()
    return fields


@contextmanager
def clickhouse_http(path: str) -> Iterator[ThreadingHTTPServer]:
    """An endpoint on 127.0.0.1 over the chDB database at ``path`` (``server.seen``: the query
    parameters of every request)."""
    from chdb import session

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.session = session.Session(path)  # type: ignore[attr-defined]
    server.lock = threading.Lock()  # type: ignore[attr-defined]
    server.seen = []  # type: ignore[attr-defined]
    server.keys = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        server.session.close()  # type: ignore[attr-defined]


if __name__ == "__main__":  # a separate process for the benchmark: python clickhouse_http.py DB
    import sys

    with clickhouse_http(sys.argv[1]) as endpoint:
        print(f"http://127.0.0.1:{endpoint.server_address[1]}", flush=True)
        threading.Event().wait()
