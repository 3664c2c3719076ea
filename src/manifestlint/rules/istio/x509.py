"""The one X.509 fact the Gateway rules need: when a PEM certificate expires.

A bounded DER walk (Certificate -> tbsCertificate -> validity -> notAfter) over the first
certificate of a PEM text; nothing is verified or trusted, and any malformed input is None.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone

BEGIN, END = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
SEQUENCE, EXPLICIT_0, UTC_TIME, GENERALIZED_TIME = 0x30, 0xA0, 0x17, 0x18


def _tlv(data: bytes, pos: int) -> tuple[int, int, int] | None:
    """(tag, start, end) of the DER element at `pos`; None when it does not fit."""
    if pos + 2 > len(data):
        return None
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        size = length & 0x7F
        if not 0 < size <= 4 or pos + size > len(data):
            return None
        length = int.from_bytes(data[pos : pos + size], "big")
        pos += size
    return (tag, pos, pos + length) if pos + length <= len(data) else None


def _time(tag: int, raw: bytes) -> datetime | None:
    text = raw.decode("ascii", "replace").rstrip("Z")
    try:
        if tag == UTC_TIME and len(text) == 12:
            year = int(text[:2])
            return datetime.strptime(
                f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}", "%Y%m%d%H%M%S"
            ).replace(tzinfo=timezone.utc)
        if tag == GENERALIZED_TIME and len(text) == 14:
            return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return None


def not_after(pem: str) -> datetime | None:
    """The notAfter time of the first certificate in `pem`; None when it cannot be read."""
    start = pem.find(BEGIN)
    stop = pem.find(END, start) if start >= 0 else -1
    if stop < 0:
        return None
    try:
        der = base64.b64decode("".join(pem[start + len(BEGIN) : stop].split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    outer = _tlv(der, 0)
    tbs = _tlv(der, outer[1]) if outer and outer[0] == SEQUENCE else None
    if tbs is None or tbs[0] != SEQUENCE:
        return None
    pos, end = tbs[1], tbs[2]
    element = _tlv(der, pos)
    if element and element[0] == EXPLICIT_0:  # version
        pos = element[2]
    for _ in range(3):  # serialNumber, signature, issuer
        element = _tlv(der, pos)
        if element is None or element[2] > end:
            return None
        pos = element[2]
    validity = _tlv(der, pos)
    if validity is None or validity[0] != SEQUENCE:
        return None
    first = _tlv(der, validity[1])
    second = _tlv(der, first[2]) if first else None
    if second is None or second[2] > validity[2]:
        return None
    return _time(second[0], der[second[1] : second[2]])
