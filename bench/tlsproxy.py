"""nginx with TLS and HTTP/2 in front of one Floor server, as `deploy/nginx.conf` deploys it, for `bench.pages --tls`.

A phone reaches a real deployment over HTTPS through the proxy, and there Chromium speaks HTTP/2: one connection,
headers compressed (HPACK), no six-connection limit. The shipped site file is used with only its upstream, its
`listen` line (TLS and HTTP/2 on a free port) and a throw-away self-signed certificate filled in.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.servers import free_port

SHIPPED = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"
NGINX = "/usr/sbin/nginx"


class TlsProxy:
    """`with TlsProxy(upstream_port) as proxy:` -> proxy.url (https://127.0.0.1:PORT), stopped on exit."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.prefix = Path(tempfile.mkdtemp(prefix="floor-bench-nginx-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def chromium_args(self) -> list[str]:
        """Trust this certificate by its key's hash. Not `ignore_https_errors`: Chromium caches nothing from a host
        whose certificate it flags, so every repeat visit would refetch."""
        der = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in", str(self.prefix / "cert.pem")],
                             check=True, capture_output=True).stdout
        key = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=der, check=True,
                             capture_output=True).stdout
        return [f"--ignore-certificate-errors-spki-list={base64.b64encode(hashlib.sha256(key).digest()).decode()}"]

    def _site(self) -> str:
        text = SHIPPED.read_text()
        text, n = re.subn(r"(upstream floor \{\n(?:    #.*\n)*)(?:    server .*\n)+",
                          lambda m: m.group(1) + f"    server 127.0.0.1:{self.upstream_port};\n", text)
        assert n == 1, "deploy/nginx.conf no longer has the upstream block this rewrites"
        cert, key = self.prefix / "cert.pem", self.prefix / "key.pem"
        text, n = re.subn(r"listen 80;", f"listen 127.0.0.1:{self.port} ssl http2;\n    ssl_certificate {cert};\n"
                          f"    ssl_certificate_key {key};", text)
        assert n == 1, "deploy/nginx.conf no longer has the `listen 80;` line this rewrites"
        return text

    def __enter__(self) -> TlsProxy:
        binary = NGINX if Path(NGINX).exists() else shutil.which("nginx")
        if binary is None:
            raise RuntimeError("nginx is required for --tls (apt-get install nginx)")
        key, cert = self.prefix / "key.pem", self.prefix / "cert.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        (self.prefix / "tmp").mkdir()
        (self.prefix / "floor.conf").write_text(self._site())
        temp = " ".join(f"{kind}_temp_path {self.prefix}/tmp/{kind};"
                        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (self.prefix / "nginx.conf").write_text(
            ("user root root;\n" if os.geteuid() == 0 else "")
            + f"worker_processes 1;\nerror_log {self.prefix}/error.log warn;\npid {self.prefix}/nginx.pid;\n"
            + "events { worker_connections 256; }\n"
            + f"http {{\n  access_log off;\n  {temp}\n  include {self.prefix}/floor.conf;\n}}\n")
        self.proc = subprocess.Popen([binary, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf"),
                                      "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5, verify=False).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = self.prefix / "error.log"
                self.__exit__()
                raise RuntimeError(f"nginx did not start: {log.read_text() if log.exists() else ''}")
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None
        shutil.rmtree(self.prefix, ignore_errors=True)
