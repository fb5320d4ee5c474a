"""A project's stored versions, as the sandbox pool reads and adds them.

A version is known by the job (and fix round) that stored it, and that key is unique: a
redelivered job finds the version it stored before instead of adding a second one.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from paynto_common.db import Database, Version, insert_of


async def version_of_job(db: Database, key: str) -> Version | None:
    """The version stored under ``key`` (an apply's ``version_key``), if any."""
    async with db.session() as s:
        return (await s.exec(select(Version).where(Version.job_id == key))).first()


async def numbered(db: Database, project_id: str, number: int) -> Version | None:
    async with db.session() as s:
        return (await s.exec(select(Version).where(
            Version.project_id == project_id, Version.number == number))).first()


async def store_version(db: Database, project_id: str, key: str, files: dict[str, str],
                        model: str | None, number: int | None = None) -> Version:
    """Store ``files`` as the project's next version under ``key``, or return the version an
    earlier delivery of the same job stored under it. ``number`` is the one it takes when the
    caller read the latest already, under the project's lock (it is not read again, with
    every file of the site); a number taken meanwhile is refused by the numbering."""
    if number is None:
        latest = await db.latest_version(project_id)
        number = (latest.number if latest else 0) + 1
    version = Version(
        project_id=project_id,
        number=number,
        job_id=key,
        files=files,
        model=model,
    )
    try:
        [version.id] = await db.write(insert_of(version).returning(col(Version.id)))
    except IntegrityError:
        # Another delivery of this job stored it first.
        existing = await version_of_job(db, key)
        if existing is None:
            raise
        return existing
    return version
