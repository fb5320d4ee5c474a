"""A project's versions as the pool stores them: numbered in turn, one per job key."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from paynto_common.db import Database
from paynto_common.testing.worker import new_job
from sandbox_pool import versions


async def test_the_latest_version_read_already_is_not_read_again(db: Database) -> None:
    job = await new_job(db, "generate")
    project = job.project_id
    first = await versions.store_version(db, project, f"{job.id}:1", {"a.txt": "1"}, None)
    # Told the number, as an apply that read the latest under the project's lock is: the
    # same as when it is read.
    second = await versions.store_version(db, project, f"{job.id}:2", {"a.txt": "2"}, None,
                                          number=first.number + 1)
    assert (first.number, second.number) == (1, 2)
    other = (await new_job(db, "generate")).project_id
    assert (await versions.store_version(db, other, f"{job.id}:o", {}, None,
                                         number=1)).number == 1
    # A redelivery of a job finds the version it stored, whatever it is told.
    again = await versions.store_version(db, project, f"{job.id}:2", {"a.txt": "x"}, None,
                                         number=2)
    assert (again.id, again.number, again.files) == (second.id, 2, {"a.txt": "2"})
    # A number taken meanwhile is refused by the numbering, not stored beside version 2.
    with pytest.raises(IntegrityError):
        await versions.store_version(db, project, f"{job.id}:3", {}, None, number=2)
    stored = await db.latest_version(project)
    assert stored is not None and stored.number == 2
