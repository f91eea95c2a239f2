"""The cryptography of WeChat Pay API v3, from the provider's side (the local server)."""

from __future__ import annotations

import base64
import json
import re
import secrets
from datetime import UTC, datetime, timedelta, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

CHINA = timezone(timedelta(hours=8))
AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key) -> str:
    public = key.public_key() if hasattr(key, "public_key") else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def self_signed_certificate(key: rsa.RSAPrivateKey, common_name: str, days: int = 365) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )


def certificate_serial(cert: x509.Certificate) -> str:
    return format(cert.serial_number, "X")


def certificate_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def sign(key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(public_key_pem: str, message: str, signature: str) -> bool:
    key = serialization.load_pem_public_key(public_key_pem.encode())
    try:
        key.verify(base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def aes_encrypt(apiv3_key: str, plain: str, associated_data: str) -> dict:
    nonce = secrets.token_hex(6)  # 12 characters, used as bytes, as WeChat Pay does
    cipher = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), plain.encode(), associated_data.encode())
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(cipher).decode(),
        "nonce": nonce,
        "associated_data": associated_data,
    }


AUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')


def parse_authorization(header: str) -> dict[str, str]:
    scheme, _, rest = header.partition(" ")
    if scheme != AUTH_SCHEME:
        return {}
    return dict(AUTH_PARAM.findall(rest))


def rfc3339(moment: datetime) -> str:
    """WeChat Pay's time format: RFC 3339 in China time, e.g. 2026-11-25T12:00:00+08:00."""
    return moment.astimezone(CHINA).isoformat(timespec="seconds")


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
