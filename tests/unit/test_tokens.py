from __future__ import annotations

import time
from pathlib import Path

import pytest

from gureum.identity.tokens import (
    KeyRepository,
    TokenFormatter,
    TokenPayload,
    check_password,
    hash_password,
    new_audit_id,
)


def payload(**kw: object) -> TokenPayload:
    base = dict(user_id="a" * 32, methods=("password",), scope_type="project",
                scope_id="b" * 32, issued_at=time.time(), expires_at=time.time() + 3600,
                audit_ids=(new_audit_id(),))
    base.update(kw)
    return TokenPayload(**base)  # type: ignore[arg-type]


def test_round_trip_and_size(tmp_path: Path) -> None:
    keys = KeyRepository(tmp_path / "keys")
    keys.setup()
    formatter = TokenFormatter(keys)
    for p in (payload(), payload(scope_type=None, scope_id=None),
              payload(user_id="not-hex", scope_type="domain", scope_id="default",
                      methods=("password", "token"), app_cred_id="c" * 32)):
        token = formatter.encrypt(p)
        assert len(token) < 255 and "=" not in token
        assert formatter.decrypt(token) == p


def test_tampering_and_foreign_keys_are_rejected(tmp_path: Path) -> None:
    ours, theirs = KeyRepository(tmp_path / "a"), KeyRepository(tmp_path / "b")
    ours.setup()
    theirs.setup()
    token = TokenFormatter(ours).encrypt(payload())
    with pytest.raises(ValueError):
        TokenFormatter(theirs).decrypt(token)
    flipped = token[:30] + ("A" if token[30] != "A" else "B") + token[31:]
    with pytest.raises(ValueError):
        TokenFormatter(ours).decrypt(flipped)
    with pytest.raises(ValueError):
        TokenFormatter(ours).decrypt("garbage")


def test_rotation_keeps_recent_tokens_and_drops_old_ones(tmp_path: Path) -> None:
    keys = KeyRepository(tmp_path / "keys")
    keys.setup()
    formatter = TokenFormatter(keys)
    old = formatter.encrypt(payload())
    keys.rotate(max_active=3)
    keys._checked = 0.0  # noqa: SLF001 - skip the once-a-second re-read throttle
    newer = formatter.encrypt(payload())
    assert formatter.decrypt(old) and formatter.decrypt(newer)
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["0", "1", "2"]
    keys.rotate(max_active=3)
    keys._checked = 0.0  # noqa: SLF001
    with pytest.raises(ValueError):
        formatter.decrypt(old)  # its key (1) has been dropped
    assert formatter.decrypt(newer)


def test_password_hashing() -> None:
    hashed = hash_password("correct horse", rounds=4)
    assert hashed.startswith("$2b$04$") and "correct" not in hashed
    assert check_password("correct horse", hashed)
    assert not check_password("wrong", hashed)
    assert not check_password("x", None)
    long_a, long_b = "a" * 100, "a" * 99 + "b"  # differ past bcrypt's 72-byte limit
    assert not check_password(long_b, hash_password(long_a, rounds=4))


def test_setup_racing_processes_agree_on_one_key_set(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    folder = tmp_path / "keys"
    repos = [KeyRepository(folder) for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda repo: repo.setup(), repos))
    assert sorted(p.name for p in folder.iterdir()) == ["0", "1"]
    token = TokenFormatter(repos[0]).encrypt(payload())
    assert all(TokenFormatter(repo).decrypt(token) for repo in repos)
