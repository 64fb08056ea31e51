"""Plain HTTP on the image answers only with a redirect to the web UI over HTTPS (`callbox redirect`).

The Host header is the browser's and anyone's: it is used only when it is a well-formed host name,
IPv4 address or bracketed IPv6 address (with an optional port, which is dropped); otherwise the
redirect names the box's own address.
"""

from __future__ import annotations

import ipaddress
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")
_PORT = re.compile(r"^[0-9]{1,5}$")
# characters a path and query may keep as they are (RFC 3986 pchar, "/" and "?"); the rest is escaped
_PATH_SAFE = "/?&=%:@!$'()*+,;~-._"


def host_of(header: str | None) -> str | None:
    """The host part of a Host header (RFC 9110 7.2: uri-host [":" port]), or None if malformed."""
    if not header or len(header) > 255:
        return None
    if header.startswith("["):
        end = header.find("]")
        if end < 0:
            return None
        rest, host = header[end + 1:], header[1:end]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return None
        if rest and not (rest.startswith(":") and _PORT.match(rest[1:])):
            return None
        return f"[{host}]"
    host, sep, port = header.partition(":")
    if sep and not _PORT.match(port):
        return None
    return host if _HOSTNAME.match(host) else None


def redirect_target(host_header: str | None, path: str, fallback_host: str, https_port: int) -> str:
    host = host_of(host_header) or (f"[{fallback_host}]" if ":" in fallback_host else fallback_host)
    port = "" if https_port == 443 else f":{https_port}"
    if not path.startswith("/"):
        path = "/"
    return f"https://{host}{port}{quote(path, safe=_PATH_SAFE)}"


def serve(bind: str, port: int, https_port: int) -> None:
    class Redirect(BaseHTTPRequestHandler):
        server_version = "callbox"
        sys_version = ""

        def _redirect(self) -> None:
            # 301 for GET and HEAD; 308 keeps the method and body of anything else
            code = 301 if self.command in ("GET", "HEAD") else 308
            self.send_response(code)
            self.send_header("Location", redirect_target(self.headers.get("Host"), self.path, bind, https_port))
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _redirect

        def log_message(self, format, *args):  # noqa: A002 (the base class's name)
            pass

    with ThreadingHTTPServer((bind, port), Redirect) as server:
        server.serve_forever()
