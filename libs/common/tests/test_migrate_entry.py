"""``python -m paynto_common.migrate``, the command the Kubernetes migration Job runs: it
brings a real (SQLite) database to the newest revision, does nothing the second time, and
fails with a non-zero exit and no password in its output when the database is out of reach."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from paynto_common import migrations
from paynto_common.migrate import main, redacted, shown_url
from paynto_common.settings import CommonSettings

PASSWORD = "s3cr3t-Pa55word"


def run_module(tmp_path: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    """The entry module as a Job runs it: its own process, settings from the environment
    only (the working directory has no .env)."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "PAYNTO_DATA_DIR", "LOG_FORMAT", "LOG_LEVEL"}}
    env.update(DATABASE_URL=database_url, PAYNTO_DATA_DIR=str(tmp_path / "data"),
               LOG_FORMAT="json")
    return subprocess.run([sys.executable, "-m", "paynto_common.migrate"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)


def revision_and_tables(path: Path) -> tuple[str | None, set[str]]:
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return migrations.current_revision(conn), set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_migrates_an_empty_sqlite_database_then_finds_nothing_to_do(tmp_path: Path) -> None:
    database = tmp_path / "paynto.db"
    first = run_module(tmp_path, f"sqlite:///{database}")
    assert first.returncode == 0, first.stderr
    revision, tables = revision_and_tables(database)
    assert revision == migrations.head()
    assert {"project", "version", "job", "alembic_version"} <= tables
    # The log says which database, as JSON lines (LOG_FORMAT=json).
    assert str(database) in first.stderr and '"message"' in first.stderr

    again = run_module(tmp_path, f"sqlite:///{database}")
    assert again.returncode == 0, again.stderr
    assert revision_and_tables(database)[0] == migrations.head()


def test_an_unreachable_database_fails_without_showing_its_password(tmp_path: Path) -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    result = run_module(tmp_path, f"postgresql://paynto:{PASSWORD}@127.0.0.1:1/paynto")
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "migration failed" in output
    assert PASSWORD not in output and "Pa55" not in output


def test_main_in_process_uses_the_settings_it_is_given(tmp_path: Path) -> None:
    database = tmp_path / "given.db"
    settings = CommonSettings(database_url=f"sqlite:///{database}", data_dir=tmp_path)
    assert main(settings) == 0
    assert revision_and_tables(database)[0] == migrations.head()


def test_passwords_are_kept_out_of_what_is_logged() -> None:
    url = f"postgresql+psycopg://paynto:{PASSWORD}@db.internal:5432/paynto"
    assert PASSWORD not in shown_url(url) and "db.internal" in shown_url(url)
    assert "Pa55" not in redacted(f"could not connect with {url}", url)
    # A password with a character URLs must encode: gone in either spelling.
    encoded = "postgresql+psycopg://paynto:Pa55%2Fword@db.internal:5432/paynto"
    for message in ("auth failed for Pa55/word", f"could not connect with {encoded}"):
        assert "Pa55" not in redacted(message, encoded)
    assert redacted("no password here", "sqlite+aiosqlite:///x.db") == "no password here"
