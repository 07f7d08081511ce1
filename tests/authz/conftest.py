from __future__ import annotations

import pytest_asyncio

from unicrm.core.graph.departments.services import create_department
from unicrm.core.graph.users.services import create_user


@pytest_asyncio.fixture(loop_scope="session")
async def people(unicrm_state) -> dict[str, str]:
    """Departments ``sales`` and ``shop`` and four users; name → subject (``user:<uuid>``)."""
    state = unicrm_state
    subjects = {}
    async with state.db.transaction() as session:
        for slug in ("sales", "shop"):
            await create_department(
                session,
                state.registry,
                slug=slug,
                name=slug,
                plugins=list(state.registry.installed),
            )
        for name in ("ann", "ben", "cat", "dan"):
            user = await create_user(
                session, email=f"{name}@example.com", display_name=name, departments=["sales"]
            )
            subjects[name] = f"user:{user.id}"
    state.departments.invalidate()
    return subjects
