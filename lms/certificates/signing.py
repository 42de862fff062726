"""Ed25519 keys that sign certificates, and the JWK Set that publishes them.

The current private key comes from CERTIFICATE_KEY_FILE (a PEM file); in development and tests
a key is generated there on first use, in production ``flask --app lms lms create-signing-key``
creates it. Keys rotated out stay published so that certificates they signed still verify: the
public halves that ``create-signing-key --rotate`` keeps in the folder beside the key (``<key file
name without .pem>.retired/``), and CERTIFICATE_OLD_PUBLIC_KEYS (PEM files of public keys, or the
retired key files themselves).
"""

import base64
import contextlib
import glob
import hashlib
import json
import os

from flask import current_app

# cryptography is imported where a key is used: a web worker that serves only pages without
# certificates does not load it


def b64url(data):
    """Base64url without padding (JOSE)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw(public_key):
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key):
    """A stable id of a public key: the start of its SHA-256, base64url."""
    return b64url(hashlib.sha256(_raw(public_key)).digest())[:16]


#: the operator command that creates (or rotates) the key
CREATE_COMMAND = "flask --app lms lms create-signing-key"


class SigningKeyMissing(RuntimeError):
    """Production has no signing key file: certificates cannot be signed until one is created."""

    def __init__(self, path):
        self.path = path
        super().__init__(
            f"The certificate signing key {path} does not exist: create it with "
            f"`{CREATE_COMMAND}` (it reads the path from CERTIFICATE_KEY_FILE)."
        )


def key_path():
    """CERTIFICATE_KEY_FILE, or certificate-signing-key.pem in the instance folder."""
    path = current_app.config.get("CERTIFICATE_KEY_FILE")
    return path or os.path.join(current_app.instance_path, "certificate-signing-key.pem")


def retired_folder(path=None):
    """The folder of the public keys rotated out of the key file ``path`` (default: the current
    one): beside it, named after it (``signing.pem`` keeps ``signing.retired/``)."""
    root, _ext = os.path.splitext(path or key_path())
    return root + ".retired"


def _private_pem(key):
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _public_pem(public_key):
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _write_new(path, data, mode):
    """Write a file that must not exist yet (FileExistsError otherwise), readable by ``mode``."""
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as out:
        out.write(data)


def _load_private(path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    with open(path, "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError(f"{path} does not hold an Ed25519 private key.")
    return key


def signing_key():
    """The current private key; generated on first use unless configured to be given."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    cache = current_app.extensions.setdefault("certificate_keys", {})
    if "private" in cache:
        return cache["private"]
    path = key_path()
    if not os.path.exists(path):
        if current_app.config["REQUIRE_EXTERNAL_SECRETS"]:
            raise SigningKeyMissing(path)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        # another worker may have generated it first: then theirs is used
        with contextlib.suppress(FileExistsError):
            _write_new(path, _private_pem(Ed25519PrivateKey.generate()), 0o600)
    key = _load_private(path)
    cache["private"] = key
    return key


def create_key(rotate=False):
    """Create the key file (mode 0600) and return ``(path, kid, retired)``.

    An existing key stays unless ``rotate``: its public half is then kept in
    :func:`retired_folder` (``retired`` is that file; None when nothing was rotated), where it
    stays published, and the new key replaces the file in one step. Running workers keep the
    key they loaded until they restart.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = key_path()
    retired = None
    if os.path.exists(path):
        if not rotate:
            raise FileExistsError(path)
        old = _load_private(path).public_key()
        folder = retired_folder(path)
        os.makedirs(folder, exist_ok=True)
        retired = os.path.join(folder, f"{key_id(old)}.pem")
        if not os.path.exists(retired):
            _write_new(retired, _public_pem(old), 0o644)
    else:
        os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    draft = f"{path}.new"
    if os.path.exists(draft):
        os.unlink(draft)  # left by an interrupted run
    _write_new(draft, _private_pem(key), 0o600)
    os.replace(draft, path)
    current_app.extensions.get("certificate_keys", {}).pop("private", None)
    return path, key_id(key.public_key()), retired


def public_keys():
    """{kid: public key} of the current key and every key rotated out."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    keys = {}
    current = signing_key().public_key()
    keys[key_id(current)] = current
    for path in old_key_paths():
        key = load_public(path)
        if isinstance(key, Ed25519PublicKey):
            keys[key_id(key)] = key
    return keys


def load_public(path):
    """The public key of a PEM file: a public key, or a retired private key file moved there
    as it was (only its public half is used)."""
    from cryptography.hazmat.primitives import serialization

    with open(path, "rb") as handle:
        pem = handle.read()
    if b"PRIVATE KEY" in pem:
        return serialization.load_pem_private_key(pem, password=None).public_key()
    return serialization.load_pem_public_key(pem)


def retired_key_paths():
    """The public keys that ``create-signing-key --rotate`` retired, beside the key file."""
    return sorted(glob.glob(os.path.join(glob.escape(retired_folder()), "*.pem")))


def configured_old_key_paths():
    """CERTIFICATE_OLD_PUBLIC_KEYS as a list of paths; from the environment it may be one string
    of paths separated by commas (or a JSON list, which from_prefixed_env parses)."""
    paths = current_app.config.get("CERTIFICATE_OLD_PUBLIC_KEYS") or ()
    if isinstance(paths, str):
        paths = paths.split(",")
    return [str(p).strip() for p in paths if str(p).strip()]


def old_key_paths():
    """Every key rotated out: the retired ones, then the configured ones."""
    return retired_key_paths() + configured_old_key_paths()


def canonical(claims):
    """The bytes that are signed: JSON with sorted keys and no spaces, UTF-8."""
    return json.dumps(claims, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(data):
    """(signature base64url, kid) of ``data`` bytes with the current key."""
    key = signing_key()
    return b64url(key.sign(data)), key_id(key.public_key())


def verify(data, signature, kid):
    """Whether ``signature`` is a valid signature of ``data`` by the published key ``kid``."""
    from cryptography.exceptions import InvalidSignature

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
