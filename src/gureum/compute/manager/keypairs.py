"""Key pairs: a user's public keys, imported or generated (ssh, and x509 certificates as
microversion 2.2 allows), injected into servers through the metadata API."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from gureum.compute import errors
from gureum.compute.manager.base import ManagerBase
from gureum.compute.manager.quotas import Quotas
from gureum.compute.models import Keypair
from gureum.core.db import IntegrityError


def ssh_fingerprint(public_key: str) -> str:
    """nova's: the MD5 of the key's blob, as colon-separated hex."""
    try:
        key = serialization.load_ssh_public_key(public_key.strip().encode())
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise errors.InvalidKeypair(reason="failed to generate fingerprint") from exc
    blob = key.public_bytes(serialization.Encoding.OpenSSH,
                            serialization.PublicFormat.OpenSSH).split()[1]
    digest = hashlib.md5(base64.b64decode(blob), usedforsecurity=False).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


def x509_fingerprint(pem: str) -> str:
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise errors.InvalidKeypair(reason="failed to generate X509 fingerprint") from exc
    digest = cert.fingerprint(hashes.SHA1()).hex()  # noqa: S303 (nova's fingerprint)
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def generate(key_type: str, name: str) -> tuple[str, str]:
    """(private key PEM, public key) of a new key pair."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    if key_type == "x509":
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
                .sign(key, hashes.SHA256()))
        return private, cert.public_bytes(serialization.Encoding.PEM).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    return private, f"{public} Generated-by-Nova"


class Keypairs(Quotas, ManagerBase):
    async def list_keypairs(self, user_id: str, limit: int | None = None,
                            marker: str | None = None) -> list[Keypair]:
        stmt = select(Keypair).where(Keypair.user_id == user_id).order_by(Keypair.name)
        if marker is not None:
            async with self.db.session() as session:
                if (await session.scalars(stmt.where(Keypair.name == marker))).first() is None:
                    raise errors.InvalidInput(reason=f"marker [{marker}] not found")
            stmt = stmt.where(Keypair.name > marker)
        if limit is not None:
            stmt = stmt.limit(limit)
        async with self.db.session() as session:
            return list(await session.scalars(stmt))

    async def show_keypair(self, user_id: str, name: str) -> Keypair:
        async with self.db.session() as session:
            row = (await session.scalars(select(Keypair).where(
                Keypair.user_id == user_id, Keypair.name == name))).first()
        if row is None:
            raise errors.KeypairNotFound(name=name, user_id=user_id)
        return row

    async def create_keypair(self, user_id: str, project_id: str, name: str, key_type: str,
                             public_key: str | None) -> tuple[Keypair, str | None]:
        """The key pair, and its private key when it was generated here (counted
        against the key_pairs quota of the user in the project, as nova counts)."""
        private = None
        if public_key is None:
            private, public_key = generate(key_type, name)
        fingerprint = (x509_fingerprint(public_key) if key_type == "x509"
                       else ssh_fingerprint(public_key))
        row = Keypair(user_id=user_id, name=name, type=key_type,
                      public_key=public_key.strip(), fingerprint=fingerprint)
        try:
            async with self.db.session(lock=f"compute-keypairs:{user_id}") as session:
                limit = (await self.quota_limits(session, project_id, user_id)).get(
                    "key_pairs", -1)
                count = len(list(await session.scalars(select(Keypair.id).where(
                    Keypair.user_id == user_id))))
                if 0 <= limit <= count:
                    raise errors.QuotaExceeded("Quota exceeded, too many key pairs.",
                                               resources="key_pairs")
                session.add(row)
        except IntegrityError as exc:
            raise errors.KeypairExists(name=name) from exc
        return row, private

    async def delete_keypair(self, user_id: str, name: str) -> None:
        async with self.db.session() as session:
            row = (await session.scalars(select(Keypair).where(
                Keypair.user_id == user_id, Keypair.name == name))).first()
            if row is None:
                raise errors.KeypairNotFound(name=name, user_id=user_id)
            await session.delete(row)
