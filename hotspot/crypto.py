"""Secrets at rest: reversible encryption for what a protocol needs back, hashes for the rest.

NAS shared secrets and CoovaChilli uamsecrets must be recovered to sign RADIUS
packets, so they are encrypted with a key derived from the settings' secret
key. Passwords use Argon2id; API tokens are random and stored as SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

_password_hasher = PasswordHasher()


class SecretBox:
    """Encrypts and decrypts short secrets with a key from the settings."""

    def __init__(self, secret_key: str):
        digest = hashlib.sha256(b"hotspot-secret-box\x00" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with this secret key") from exc


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _password_hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
