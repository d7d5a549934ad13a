"""Fernet tokens (encrypted, signed, not stored), their key repository and rotation, and
password hashing.

A key repository is keystone's: files named 0…N in one folder; `0` is the staged key, the
highest number is the primary that encrypts, all of them decrypt. Rotation promotes the
staged key to primary, stages a new one and drops the oldest beyond `max_active`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import msgpack
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PAYLOAD_VERSION = 1
METHODS = ("password", "token", "application_credential", "totp", "external")


class KeyRepository:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._loaded_mtime = -1.0
        self._checked = 0.0
        self._fernet: MultiFernet | None = None

    def setup(self) -> None:
        """Create the first keys. Processes starting together on one folder may race
        here: each key is created only if absent, so all of them end up with one set."""
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self._indexes():
            self._write(0, Fernet.generate_key(), replace=False)
            self._write(1, Fernet.generate_key(), replace=False)

    def _indexes(self) -> list[int]:
        return sorted(int(p.name) for p in self.path.iterdir() if p.name.isdigit())

    def _write(self, index: int, key: bytes, replace: bool = True) -> None:
        """Write the whole key under a private name, then move it into place."""
        tmp = self.path / f".{index}.{uuid.uuid4().hex}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        if replace:
            tmp.replace(self.path / str(index))
            return
        try:
            os.link(tmp, self.path / str(index))
        except FileExistsError:
            pass
        finally:
            tmp.unlink()

    def rotate(self, max_active: int) -> int:
        """Returns the new primary key's index."""
        indexes = self._indexes()
        new_primary = max(indexes) + 1
        (self.path / "0").replace(self.path / str(new_primary))
        self._write(0, Fernet.generate_key())
        kept = [i for i in self._indexes() if i != 0]
        for old in kept[: max(0, len(kept) - (max_active - 1))]:
            (self.path / str(old)).unlink()
        return new_primary

    def fernet(self) -> MultiFernet:
        """Keys are re-read when the folder changes (checked at most once a second), so a
        rotation by `gureum identity rotate-keys` takes effect without a restart."""
        now = time.monotonic()
        if self._fernet is None or now - self._checked > 1.0:
            self._checked = now
            mtime = self.path.stat().st_mtime
            if mtime != self._loaded_mtime or self._fernet is None:
                indexes = sorted(self._indexes(), reverse=True)  # primary first, staged last
                self._fernet = MultiFernet(
                    [Fernet((self.path / str(i)).read_bytes().strip()) for i in indexes])
                self._loaded_mtime = mtime
        return self._fernet


@dataclass(frozen=True)
class TokenPayload:
    user_id: str
    methods: tuple[str, ...]
    scope_type: str | None  # "project" | "domain" | "system" | None (unscoped)
    scope_id: str | None
    issued_at: float
    expires_at: float
    audit_ids: tuple[str, ...]
    app_cred_id: str | None = None


def new_audit_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _pack_id(value: str | None) -> bytes | str | None:
    """32-hex ids travel as 16 bytes, which keeps tokens short, as keystone does."""
    if value is not None and len(value) == 32:
        try:
            return bytes.fromhex(value)
        except ValueError:
            pass
    return value


def _unpack_id(value: bytes | str | None) -> str | None:
    return value.hex() if isinstance(value, bytes) else value


_SCOPES = (None, "project", "domain", "system")


class TokenFormatter:
    """Decrypted payloads are remembered (a token is presented again and again), until the
    keys change; expiry and revocation are checked by the caller on every use."""

    CACHE_SIZE = 10000

    def __init__(self, keys: KeyRepository) -> None:
        self.keys = keys
        self._decrypted: dict[str, TokenPayload] = {}
        self._cached_for: MultiFernet | None = None

    def encrypt(self, payload: TokenPayload) -> str:
        methods = sum(1 << METHODS.index(m) for m in payload.methods)
        packed = msgpack.packb([
            PAYLOAD_VERSION, _pack_id(payload.user_id), methods,
            _SCOPES.index(payload.scope_type), _pack_id(payload.scope_id),
            payload.issued_at, payload.expires_at, list(payload.audit_ids),
            _pack_id(payload.app_cred_id),
        ])
        return self.keys.fernet().encrypt(packed).decode().rstrip("=")

    def decrypt(self, token: str) -> TokenPayload:
        """Raises ValueError for anything that is not one of our tokens."""
        fernet = self.keys.fernet()
        if fernet is not self._cached_for or len(self._decrypted) >= self.CACHE_SIZE:
            self._decrypted = {}
            self._cached_for = fernet
        found = self._decrypted.get(token)
        if found is None:
            found = self._decrypted[token] = self._decrypt(fernet, token)
        return found

    @staticmethod
    def _decrypt(fernet: MultiFernet, token: str) -> TokenPayload:
        padded = token + "=" * (-len(token) % 4)
        try:
            raw = fernet.decrypt(padded.encode())
            (version, user_id, methods, scope, scope_id, issued, expires, audit_ids,
             app_cred_id) = msgpack.unpackb(raw)
        except (InvalidToken, ValueError, TypeError, msgpack.ExtraData) as exc:
            raise ValueError("not a valid token") from exc
        if version != PAYLOAD_VERSION:
            raise ValueError("unknown token version")
        return TokenPayload(
            user_id=_unpack_id(user_id) or "",
            methods=tuple(m for i, m in enumerate(METHODS) if methods & (1 << i)),
            scope_type=_SCOPES[scope], scope_id=_unpack_id(scope_id),
            issued_at=issued, expires_at=expires, audit_ids=tuple(audit_ids),
            app_cred_id=_unpack_id(app_cred_id))


class SecretBox:
    """Encrypts stored secrets (credential blobs) with the keys of their own repository."""

    def __init__(self, keys: KeyRepository) -> None:
        self.keys = keys

    def seal(self, text: str) -> str:
        return self.keys.fernet().encrypt(text.encode()).decode()

    def open(self, sealed: str) -> str:
        return self.keys.fernet().decrypt(sealed.encode()).decode()


def _prehash(password: str) -> bytes:
    """bcrypt reads only 72 bytes: hash first so every byte of a long password counts."""
    return base64.b64encode(hashlib.sha256(password.encode()).digest())


def hash_password(password: str, rounds: int) -> str:
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode()


def check_password(password: str, hashed: str | None) -> bool:
    if not hashed:
        return False
    return bcrypt.checkpw(_prehash(password), hashed.encode())
