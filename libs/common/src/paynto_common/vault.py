"""Users' credentials for other services (a GitHub access token, ...), encrypted at rest.

The key comes from the environment (``SECRETS_KEY``), never from the database, so a copy of the
database alone gives none of them away. It is a Fernet key (AES-128-CBC with an HMAC-SHA256, so
a changed ciphertext is refused rather than decrypted to garbage); a comma-separated list
rotates keys: the first encrypts, every one decrypts, and :meth:`Vault.rotate` re-encrypts a
value with the first.

Nothing here puts a key, a value or a ciphertext into an exception's message: those messages end
up in logs and API answers.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from paynto_common.db import Database, UserSecret, utcnow

KEY_FILE = "secrets.key"
MAKE_A_KEY = ('python -c "from cryptography.fernet import Fernet; '
              'print(Fernet.generate_key().decode())"')


class VaultError(ValueError):
    """A key is malformed, or a stored value cannot be decrypted with the keys given."""


class Vault:
    """Seals and opens strings with the operator's key(s)."""

    def __init__(self, keys: str | SecretStr) -> None:
        text = keys.get_secret_value() if isinstance(keys, SecretStr) else keys
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if not parts:
            raise VaultError(f"SECRETS_KEY is empty; make a key with: {MAKE_A_KEY}")
        fernets = []
        for position, part in enumerate(parts, start=1):
            try:
                fernets.append(Fernet(part))
            except ValueError:
                raise VaultError(
                    f"SECRETS_KEY: key {position} of {len(parts)} is not a Fernet key (32 "
                    f"url-safe base64-encoded bytes); make one with: {MAKE_A_KEY}") from None
        self._fernet = MultiFernet(fernets)

    def seal(self, plaintext: str) -> str:
        """``plaintext`` encrypted with the first key (a new random IV each time)."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, ciphertext: str) -> str:
        """The plaintext of a value sealed with any of the keys."""
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise VaultError("a stored secret cannot be decrypted: it was sealed with a key "
                             "that is not in SECRETS_KEY, or it was changed") from None

    def rotate(self, ciphertext: str) -> str:
        """The same plaintext sealed with the first key (after a new key was put first)."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise VaultError("a stored secret cannot be decrypted with any key in "
                             "SECRETS_KEY") from None


def load_vault(secrets_key: SecretStr | None, data_dir: Path, *, required: bool) -> Vault:
    """The vault of ``SECRETS_KEY``. Without it: an error when ``required`` (a deployment must
    bring its key, the same on every replica), else a key kept in ``data_dir`` so that one
    machine's secrets survive a restart."""
    if secrets_key is not None:
        return Vault(secrets_key)
    if required:
        raise RuntimeError(
            "AUTH_MODE=required needs SECRETS_KEY (the same on every gateway replica): it "
            f"encrypts users' GitHub tokens at rest. Make one with: {MAKE_A_KEY}")
    path = Path(data_dir) / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return Vault(path.read_text())  # made by an earlier start (or another process now)
    with os.fdopen(fd, "wb") as out:
        out.write(Fernet.generate_key())
    return Vault(path.read_text())


async def put_secret(db: Database, vault: Vault, user_id: str, name: str, value: str) -> None:
    """Store (or replace) ``user_id``'s secret ``name``, sealed."""
    ciphertext = vault.seal(value)
    for _ in range(2):  # a concurrent first put may win the insert; then update its row
        async with db.session() as s:
            row = (await s.exec(select(UserSecret).where(UserSecret.user_id == user_id,
                                                         UserSecret.name == name))).first()
            if row is None:
                row = UserSecret(user_id=user_id, name=name, ciphertext=ciphertext)
            else:
                row.ciphertext, row.updated_at = ciphertext, utcnow()
            s.add(row)
            try:
                await s.commit()
                return
            except IntegrityError:
                await s.rollback()
    raise RuntimeError(f"could not store the secret {name!r}")


async def get_secret(db: Database, vault: Vault, user_id: str, name: str) -> str | None:
    """``user_id``'s secret ``name`` in the clear, or None when they have none."""
    async with db.session() as s:
        row = (await s.exec(select(UserSecret).where(UserSecret.user_id == user_id,
                                                     UserSecret.name == name))).first()
    return None if row is None else vault.open(row.ciphertext)


async def delete_secret(db: Database, user_id: str, name: str) -> None:
    """Forget ``user_id``'s secret ``name`` (nothing happens when there is none)."""
    async with db.session() as s:
        row = (await s.exec(select(UserSecret).where(UserSecret.user_id == user_id,
                                                     UserSecret.name == name))).first()
        if row is not None:
            await s.delete(row)
            await s.commit()
