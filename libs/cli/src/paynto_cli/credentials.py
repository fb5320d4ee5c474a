"""Where the CLI keeps its API tokens: one per gateway URL, in a file only its owner can read
(``$XDG_CONFIG_HOME/paynto/credentials.json``, ``~/.config/paynto/...`` by default).
``PAYNTO_TOKEN`` in the environment wins over the file."""

from __future__ import annotations

import json
import os
from pathlib import Path


def credentials_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "paynto" / "credentials.json"


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _key(base_url: str) -> str:
    return base_url.rstrip("/")


def token_for(base_url: str) -> str | None:
    """The token to send to ``base_url``: ``PAYNTO_TOKEN``, else the stored one, else None."""
    return os.environ.get("PAYNTO_TOKEN") or _read(credentials_file()).get(_key(base_url))


def store_token(base_url: str, token: str) -> Path:
    """Remember ``token`` for ``base_url``; the file is made readable by its owner only."""
    path = credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored = _read(path)
    stored[_key(base_url)] = token
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(stored, out, indent=2)
    os.replace(temporary, path)
    return path


def auth_headers(base_url: str) -> dict[str, str]:
    token = token_for(base_url)
    return {"Authorization": f"Bearer {token}"} if token else {}
