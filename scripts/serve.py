#!/usr/bin/env python3
"""Development server for www/: static files on 127.0.0.1 with the headers of pkg-config/_headers
(COOP/COEP, so the page is cross-origin isolated and can run the threaded build).

  python3 scripts/serve.py [--port 8080] [--dir www] [--no-isolation]

--no-isolation leaves out Cross-Origin-Opener-Policy/-Embedder-Policy (to test the single-threaded
fallback). --port 0 picks a free port. The URL is printed on the first line of output.
"""
import argparse
import fnmatch
import functools
import http.server
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
ISOLATION = {"cross-origin-opener-policy", "cross-origin-embedder-policy"}


def parse_headers_file(path):
    """Rules of a Netlify/Cloudflare `_headers` file: [(path pattern, [(name, value)])]."""
    rules, current = [], None
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            current = (line.strip(), [])
            rules.append(current)
        elif current is not None and ":" in line:
            name, value = line.strip().split(":", 1)
            current[1].append((name.strip(), value.strip()))
    return rules


class Handler(http.server.SimpleHTTPRequestHandler):
    rules = []
    isolation = True
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".gz": "application/gzip",
        ".safetensors": "application/octet-stream",
        ".ts": "text/plain",
    }

    def end_headers(self):
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        for pattern, headers in self.rules:
            if fnmatch.fnmatch(path, pattern.replace(":splat", "*")):
                for name, value in headers:
                    if self.isolation or name.lower() not in ISOLATION:
                        self.send_header(name, value)
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, fmt, *args):
        if not self.server.quiet:
            super().log_message(fmt, *args)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--dir", default=str(ROOT / "www"))
    ap.add_argument("--headers", default=str(ROOT / "pkg-config" / "_headers"))
    ap.add_argument("--no-isolation", action="store_true", help="do not send COOP/COEP")
    ap.add_argument("--quiet", action="store_true", help="do not log requests")
    a = ap.parse_args()
    Handler.rules = parse_headers_file(pathlib.Path(a.headers))
    Handler.isolation = not a.no_isolation
    handler = functools.partial(Handler, directory=a.dir)
    try:
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), handler)
    except OSError as e:
        sys.exit(f"error: cannot listen on 127.0.0.1:{a.port}: {e.strerror} (try --port 0)")
    httpd.quiet = a.quiet
    httpd.daemon_threads = True
    mode = "without COOP/COEP (single-threaded)" if a.no_isolation else "cross-origin isolated (COOP/COEP)"
    print(f"http://127.0.0.1:{httpd.server_address[1]}/", flush=True)
    print(f"serving {a.dir} {mode}; Ctrl-C stops", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
