"""TLS for the feed: a CA file, or a pinned certificate fingerprint.

The recorder's ``-tls`` makes a self-signed certificate and logs its
SHA-256 fingerprint. A client can trust it two ways: as a CA file (copy
``DATA/tls/cert.pem``; the host name or IP address must be one the
certificate names), or by its fingerprint, which any address reaching the
server accepts. A pinned fingerprint is checked inside the TLS handshake,
before a byte of the request (and its token) is sent.
"""

from __future__ import annotations

import hashlib
import re
import ssl
from typing import Optional

__all__ = ["PinMismatch", "format_fingerprint", "parse_fingerprint", "pinned_context"]


class PinMismatch(ssl.SSLCertVerificationError):
    """The server's certificate is not the pinned one. An ``SSLError``, so
    that asyncio and http.client fail the handshake with it."""

    def __str__(self) -> str:  # SSLError's would show the args as a tuple
        return str(self.args[0]) if self.args else "certificate pin mismatch"


def parse_fingerprint(text: str) -> bytes:
    """The 32 bytes of a SHA-256 fingerprint written as browsers and the
    recorder's log show it (``AB:CD:…``), or as plain hex."""
    digits = re.sub(r"[\s:]", "", text)
    if not re.fullmatch(r"[0-9A-Fa-f]{64}", digits):
        raise ValueError(f"{text!r} is not a SHA-256 fingerprint (64 hex digits, colons allowed)")
    return bytes.fromhex(digits)


def format_fingerprint(digest: bytes) -> str:
    """A digest as ``AB:CD:…``, the way the recorder logs it."""
    return ":".join(f"{b:02X}" for b in digest)


def pinned_context(fingerprint: str) -> ssl.SSLContext:
    """A client context that accepts exactly the certificate with this
    SHA-256 fingerprint, whatever its issuer, names or dates, and nothing
    else. It works for asyncio connections and for urllib alike."""
    pin = parse_fingerprint(fingerprint)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    # The pin replaces chain and name checks; it is checked right after
    # the handshake, by the SSL objects below, before any data is sent.
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    def check(der: Optional[bytes]) -> None:
        got = hashlib.sha256(der).digest() if der else b""
        if got != pin:
            shown = format_fingerprint(got) if der else "none"
            raise PinMismatch(
                f"the server's certificate has SHA-256 fingerprint {shown}, "
                f"not the pinned {format_fingerprint(pin)}")

    class PinnedSSLObject(ssl.SSLObject):  # asyncio
        def do_handshake(self) -> None:
            super().do_handshake()
            check(self.getpeercert(binary_form=True))

    class PinnedSSLSocket(ssl.SSLSocket):  # urllib, http.client
        def do_handshake(self, block: bool = False) -> None:
            super().do_handshake(block)
            check(self.getpeercert(binary_form=True))

    ctx.sslobject_class = PinnedSSLObject
    ctx.sslsocket_class = PinnedSSLSocket
    return ctx
