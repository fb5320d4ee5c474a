"""Secrets at rest: sealed with the operator's key, opened only with it, keys rotated without
losing what was sealed; stored per user on SQLite and Postgres."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlmodel import select

from paynto_common import accounts
from paynto_common.db import Database, UserSecret
from paynto_common.settings import CommonSettings
from paynto_common.vault import (
    KEY_FILE,
    Vault,
    VaultError,
    delete_secret,
    get_secret,
    load_vault,
    put_secret,
)


def key() -> str:
    return Fernet.generate_key().decode()


def test_a_sealed_value_opens_only_with_its_key() -> None:
    vault = Vault(key())
    sealed = vault.seal("gho_secret-value")
    assert "gho_secret-value" not in sealed
    assert vault.open(sealed) == "gho_secret-value"
    # A new IV each time: equal values do not look equal at rest.
    assert vault.seal("gho_secret-value") != sealed
    with pytest.raises(VaultError) as refused:
        Vault(key()).open(sealed)
    assert sealed not in str(refused.value)


def test_a_changed_ciphertext_is_refused() -> None:
    vault = Vault(key())
    sealed = vault.seal("value")
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(VaultError):
        vault.open(tampered)


def test_rotation_first_key_seals_every_key_opens() -> None:
    old, new = key(), key()
    sealed_before = Vault(old).seal("value")
    rotated = Vault(f"{new}, {old}")
    assert rotated.open(sealed_before) == "value"
    resealed = rotated.rotate(sealed_before)
    # After rotating, the old key can go: the new one alone opens what was resealed.
    assert Vault(new).open(resealed) == "value"
    assert Vault(new).open(rotated.seal("later")) == "later"
    with pytest.raises(VaultError):
        Vault(old).open(resealed)


def test_a_bad_key_says_how_to_make_one_without_echoing_it() -> None:
    with pytest.raises(VaultError) as bad:
        Vault(f"{key()},not-a-fernet-key")
    message = str(bad.value)
    assert "key 2 of 2" in message and "Fernet.generate_key()" in message
    assert "not-a-fernet-key" not in message
    with pytest.raises(VaultError):
        Vault(" , ")


def test_the_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    secret = key()
    monkeypatch.setenv("SECRETS_KEY", secret)
    settings = CommonSettings(data_dir=tmp_path)
    assert settings.secrets_key is not None
    assert secret not in repr(settings) and secret not in str(settings.model_dump())
    vault = load_vault(settings.secrets_key, tmp_path, required=True)
    assert Vault(secret).open(vault.seal("x")) == "x"
    assert not (tmp_path / KEY_FILE).exists()


def test_required_mode_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError) as refused:
        load_vault(None, tmp_path, required=True)
    assert "SECRETS_KEY" in str(refused.value)
    assert "Fernet.generate_key()" in str(refused.value)


def test_local_mode_keeps_its_key_in_the_data_dir(tmp_path: Path) -> None:
    first = load_vault(None, tmp_path / "data", required=False)
    sealed = first.seal("value")
    path = tmp_path / "data" / KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # A restart finds the same key.
    assert load_vault(None, tmp_path / "data", required=False).open(sealed) == "value"
    assert Vault(path.read_text()).open(sealed) == "value"


async def test_secrets_are_stored_sealed_per_user(database: Database) -> None:
    vault = Vault(SecretStr(key()))
    alice = await accounts.create_user(database, "alice")
    bob = await accounts.create_user(database, "bob")
    await put_secret(database, vault, alice.id, "github", "gho_alice-1")
    await put_secret(database, vault, bob.id, "github", "gho_bob")
    await put_secret(database, vault, alice.id, "github", "gho_alice-2")  # replaces

    assert await get_secret(database, vault, alice.id, "github") == "gho_alice-2"
    assert await get_secret(database, vault, bob.id, "github") == "gho_bob"
    assert await get_secret(database, vault, alice.id, "other") is None
    async with database.session() as s:
        rows = (await s.exec(select(UserSecret))).all()
    assert len(rows) == 2
    assert all("gho_" not in row.ciphertext for row in rows)

    await delete_secret(database, alice.id, "github")
    assert await get_secret(database, vault, alice.id, "github") is None
    assert await get_secret(database, vault, bob.id, "github") == "gho_bob"
