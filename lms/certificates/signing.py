"""Ed25519 keys that sign certificates, and the JWK Set that publishes them.

The current private key comes from CERTIFICATE_KEY_FILE (a PEM file); in development and tests
a key is generated there on first use. Keys rotated out stay published (CERTIFICATE_OLD_PUBLIC_KEYS,
PEM files of their public keys, or the retired key files themselves) so that certificates they
signed still verify.
"""

import base64
import hashlib
import json
import os

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app


def b64url(data):
    """Base64url without padding (JOSE)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw(public_key):
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key):
    """A stable id of a public key: the start of its SHA-256, base64url."""
    return b64url(hashlib.sha256(_raw(public_key)).digest())[:16]


def _key_path():
    path = current_app.config.get("CERTIFICATE_KEY_FILE")
    return path or os.path.join(current_app.instance_path, "certificate-signing-key.pem")


def signing_key():
    """The current private key; generated on first use unless configured to be given."""
    cache = current_app.extensions.setdefault("certificate_keys", {})
    if "private" in cache:
        return cache["private"]
    path = _key_path()
    if not os.path.exists(path):
        if current_app.config["REQUIRE_EXTERNAL_SECRETS"]:
            raise RuntimeError(f"The certificate signing key {path} does not exist.")
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                out.write(pem)
        except FileExistsError:
            pass  # another worker generated it first: use theirs
    with open(path, "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError(f"{path} does not hold an Ed25519 private key.")
    cache["private"] = key
    return key


def public_keys():
    """{kid: public key} of the current key and every key rotated out."""
    keys = {}
    current = signing_key().public_key()
    keys[key_id(current)] = current
    for path in _old_key_paths():
        key = _load_public(path)
        if isinstance(key, Ed25519PublicKey):
            keys[key_id(key)] = key
    return keys


def _load_public(path):
    """The public key of a PEM file: a public key, or a retired private key file moved there
    as it was (only its public half is used)."""
    with open(path, "rb") as handle:
        pem = handle.read()
    if b"PRIVATE KEY" in pem:
        return serialization.load_pem_private_key(pem, password=None).public_key()
    return serialization.load_pem_public_key(pem)


def _old_key_paths():
    """CERTIFICATE_OLD_PUBLIC_KEYS as a list of paths; from the environment it may be one
    string of paths separated by commas (or a JSON list, which from_prefixed_env parses)."""
    paths = current_app.config.get("CERTIFICATE_OLD_PUBLIC_KEYS") or ()
    if isinstance(paths, str):
        paths = paths.split(",")
    return [str(p).strip() for p in paths if str(p).strip()]


def canonical(claims):
    """The bytes that are signed: JSON with sorted keys and no spaces, UTF-8."""
    return json.dumps(claims, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(data):
    """(signature base64url, kid) of ``data`` bytes with the current key."""
    key = signing_key()
    return b64url(key.sign(data)), key_id(key.public_key())


def verify(data, signature, kid):
    """Whether ``signature`` is a valid signature of ``data`` by the published key ``kid``."""
    key = public_keys().get(kid)
    if key is None:
        return False
    try:
        key.verify(b64url_decode(signature), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def jwks():
    """The JWK Set of the certificate keys (OKP / Ed25519)."""
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": b64url(_raw(key)),
                "kid": kid,
                "use": "sig",
                "alg": "EdDSA",
            }
            for kid, key in public_keys().items()
        ]
    }
