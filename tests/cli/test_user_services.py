"""The users services behind ``unicrm users``: e-mails, passwords and departments."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from unicrm.core.authz.passwords import verify_password
from unicrm.core.errors import DomainError
from unicrm.core.graph.departments.services import create_department
from unicrm.core.graph.users import services
from unicrm.core.graph.users.models import User, UserDepartment


async def rows(state, model) -> int:
    async with state.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_new_user_joins_the_default_department_with_a_normalized_email(unicrm_state):
    async with unicrm_state.db.transaction() as session:
        user = await services.create_user(
            session, email="  Malee@Example.COM", display_name=" Malee   Srisuk "
        )
    assert (user.email, user.display_name, user.password_hash) == (
        "malee@example.com",
        "Malee Srisuk",
        None,
    )
    async with unicrm_state.db.session() as session:
        (info,) = await services.list_users(session)
    assert (info.primary_department, info.departments, info.is_active) == (
        "default",
        ("default",),
        True,
    )


async def test_password_is_stored_as_an_argon2_hash_that_verifies(unicrm_state):
    async with unicrm_state.db.transaction() as session:
        user = await services.create_user(
            session, email="a@example.com", display_name="A", password="ไม่บอกหรอก123"
        )
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "ไม่บอกหรอก123")
    assert not verify_password(user.password_hash, "guess-again")
    assert not verify_password(None, "anything")


@pytest.mark.parametrize(
    ("email", "name", "password", "code", "field"),
    [
        ("no-at-sign", "A", None, "INVALID", "email"),
        ("a@example.com", " ", None, "REQUIRED", "display_name"),
        ("a@example.com", "A" * 201, None, "TOO_LONG", "display_name"),
        ("a@example.com", "A", "1234567", "TOO_SHORT", "password"),
    ],
)
async def test_invalid_user_is_rejected_and_writes_nothing(
    unicrm_state, email, name, password, code, field
):
    with pytest.raises(DomainError) as raised:
        async with unicrm_state.db.transaction() as session:
            await services.create_user(session, email=email, display_name=name, password=password)
    assert [(e.code, e.field) for e in raised.value.errors] == [(code, field)]
    assert await rows(unicrm_state, User) == 0


async def test_email_is_unique_whatever_its_case(unicrm_state):
    async with unicrm_state.db.transaction() as session:
        await services.create_user(session, email="a@example.com", display_name="A")
    with pytest.raises(DomainError, match="exists"):
        async with unicrm_state.db.transaction() as session:
            await services.create_user(session, email="A@Example.com", display_name="B")
    assert await rows(unicrm_state, User) == 1


async def test_user_in_an_unknown_department_is_rejected_and_writes_nothing(unicrm_state):
    with pytest.raises(DomainError, match="no department 'nowhere'"):
        async with unicrm_state.db.transaction() as session:
            await services.create_user(
                session, email="a@example.com", display_name="A", departments=["nowhere"]
            )
    assert await rows(unicrm_state, User) == 0


async def test_adding_a_department_keeps_the_primary_unless_asked(unicrm_state):
    async with unicrm_state.db.transaction() as session:
        for slug in ("sales", "service"):
            await create_department(
                session, unicrm_state.registry, slug=slug, name=slug, plugins=[]
            )
        await services.create_user(
            session, email="a@example.com", display_name="A", departments=["sales"]
        )
        await services.add_to_department(session, "a@example.com", "service")
        await services.add_to_department(session, "a@example.com", "service")  # idempotent
    async with unicrm_state.db.session() as session:
        (info,) = await services.list_users(session)
    assert (info.primary_department, info.departments) == ("sales", ("sales", "service"))
    async with unicrm_state.db.transaction() as session:
        await services.add_to_department(session, "A@example.com", "service", primary=True)
    async with unicrm_state.db.session() as session:
        (info,) = await services.list_users(session)
    assert info.primary_department == "service"
    assert await rows(unicrm_state, UserDepartment) == 2


async def test_disabled_user_stays_listed_as_inactive(unicrm_state):
    async with unicrm_state.db.transaction() as session:
        await services.create_user(session, email="a@example.com", display_name="A")
        await services.disable_user(session, "A@EXAMPLE.com")
    async with unicrm_state.db.session() as session:
        (info,) = await services.list_users(session)
    assert not info.is_active
    with pytest.raises(DomainError, match="no user"):
        async with unicrm_state.db.transaction() as session:
            await services.disable_user(session, "ghost@example.com")
