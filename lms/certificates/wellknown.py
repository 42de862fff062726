"""GET /.well-known/jwks.json: the public keys that sign certificates and their credentials.

A JWK Set (RFC 7517) of Ed25519 keys (``kty`` OKP, ``crv`` Ed25519, ``kid``): the current key
and every key rotated out (CERTIFICATE_OLD_PUBLIC_KEYS), so that old certificates still verify.
Public data: any site may read it (CORS), caches may keep it a few minutes.
"""

from flask import Blueprint, jsonify

from . import signing

bp = Blueprint("wellknown", __name__, url_prefix="/.well-known")

#: seconds a client may cache the key set (a new key shows up within this time)
MAX_AGE = 300


@bp.route("/jwks.json")
def jwks():
    """The certificate-signing public keys as a JWK Set."""
    response = jsonify(signing.jwks())
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
