"""Signing JWTs the way an identity provider does, for the bearer-token tests: base64url
(RFC 4648 section 5, unpadded), RSA public keys as JWKs, RS256 tokens."""
import base64
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64(number):
    return b64(number.to_bytes((number.bit_length() + 7) // 8, "big"))


def rsa_jwk(key, kid):
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": int_b64(numbers.n), "e": int_b64(numbers.e)}


def sign_rs256(key, kid, claims):
    signed = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid})) + "." + \
        b64(json.dumps(claims))
    return signed + "." + b64(key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256()))
