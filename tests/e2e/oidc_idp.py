"""A real local OpenID Connect issuer for the federation tests: HTTPS with a test CA made
for the test session (`cryptography`), a discovery document, a JWKS that can rotate, and
RS256/ES256 token signing. Hourglass trusts the CA through `SSL_CERT_FILE`."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import ipaddress
import json
import ssl
import threading
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64(n: int, length: int | None = None) -> str:
    length = length or (n.bit_length() + 7) // 8
    return b64u(n.to_bytes(length, "big"))


class LocalCA:
    """A CA and a server certificate for 127.0.0.1/localhost, written as PEM files."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.timezone.utc)
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hourglass test CA")])
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True,
                    crl_sign=True, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )
        self.ca_path = directory / "ca.pem"
        self.ca_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.server_key = ec.generate_private_key(ec.SECP256R1())
        server_cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(name)
            .public_key(self.server_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        self.cert_path = directory / "server.pem"
        self.key_path = directory / "server.key"
        self.cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
        self.key_path.write_bytes(
            self.server_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


class SigningKey:
    def __init__(self, kid: str, alg: str):
        self.kid, self.alg = kid, alg
        if alg == "RS256":
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif alg == "ES256":
            self.key = ec.generate_private_key(ec.SECP256R1())
        else:
            raise ValueError(alg)

    def jwk(self) -> dict:
        pub = self.key.public_key().public_numbers()
        if self.alg == "RS256":
            return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
                    "n": _int_b64(pub.n), "e": _int_b64(pub.e)}
        return {"kty": "EC", "kid": self.kid, "use": "sig", "alg": "ES256", "crv": "P-256",
                "x": _int_b64(pub.x, 32), "y": _int_b64(pub.y, 32)}

    def sign(self, data: bytes) -> bytes:
        if self.alg == "RS256":
            return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


class Issuer:
    """The HTTPS issuer. `keys` are published; `sign()` makes tokens; `stop()` takes it down."""

    def __init__(self, ca: LocalCA):
        self.ca = ca
        self.keys: list[SigningKey] = [SigningKey("rsa-1", "RS256"), SigningKey("ec-1", "ES256")]
        self.requests: list[str] = []
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                issuer.requests.append(self.path)
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks",
                            "id_token_signing_alg_values_supported": ["RS256", "ES256"]}
                elif self.path == "/jwks":
                    body = {"keys": [k.jwk() for k in issuer.keys]}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(ca.cert_path), str(ca.key_path))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.host = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def key(self, kid: str) -> SigningKey:
        return next(k for k in self.keys if k.kid == kid)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def claims(self, **overrides) -> dict:
        now = int(time.time())
        c = {"iss": self.url, "sub": "repo:octo/app:ref:refs/heads/main",
             "aud": "sts.amazonaws.com", "iat": now, "nbf": now, "exp": now + 600}
        c.update(overrides)
        return {k: v for k, v in c.items() if v is not None}

    def token(self, kid: str = "rsa-1", header: dict | None = None, key: SigningKey | None = None,
              **claim_overrides) -> str:
        key = key or self.key(kid)
        h = {"alg": key.alg, "kid": kid, "typ": "JWT"}
        h.update(header or {})
        h = {k: v for k, v in h.items() if v is not None}
        signing_input = f"{b64u(json.dumps(h).encode())}.{b64u(json.dumps(self.claims(**claim_overrides)).encode())}"
        return signing_input + "." + b64u(key.sign(signing_input.encode()))

    def unsigned_token(self, **claim_overrides) -> str:
        h = {"alg": "none", "typ": "JWT"}
        return f"{b64u(json.dumps(h).encode())}.{b64u(json.dumps(self.claims(**claim_overrides)).encode())}."
