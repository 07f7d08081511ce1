"""Membership kept up to date by the periodic job, and through merges and erasure."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from unicrm.core.db.types import utcnow
from unicrm.core.graph.merge.services import merge_customers
from unicrm.core.jobs.queue import enqueue
from unicrm.core.jobs.runtime import make_worker
from unicrm.core.segments import jobs
from unicrm.core.segments.models import Segment, SegmentMember
from unicrm.core.segments.services import refresh_due, refresh_segment

from .helpers import cond, create, gid, members_of, person
from .test_segments import events, pk

STATIC_ADD = """
mutation($input: SegmentMembersInput!) { segmentMembersAdd(input: $input) { errors { code } } }
"""


async def _age(state, segment_id, minutes: int) -> None:
    async with state.db.transaction() as session:
        await session.execute(
            update(Segment)
            .where(Segment.id == segment_id)
            .values(refreshed_at=utcnow() - timedelta(minutes=minutes))
        )


async def test_the_schedule_refreshes_segments_that_are_due(unicrm_state, gql):
    """Customers who match without any event about them (a product recategorised, time
    passing) join at the next periodic refresh once the segment's interval has passed."""
    assert unicrm_state.registry.schedules[jobs.REFRESH_JOB].cron == jobs.CHECK_EVERY
    payload = await create(
        gql,
        name="Named P",
        definition=cond("customer.display_name", "STARTS_WITH", "P"),
        refreshMinutes=30,
    )
    segment_id = pk(payload["segment"]["id"])
    async with unicrm_state.db.transaction() as session:
        from unicrm.core.graph.customers.models import Customer, CustomerKind

        # written behind the services' back: no event re-checks this customer
        session.add(Customer(kind=CustomerKind.PERSON, display_name="Pim", first_name="Pim"))
    async with unicrm_state.db.session() as session:
        assert await refresh_due(session) == []  # refreshed when created
    await _age(unicrm_state, segment_id, 31)

    async with unicrm_state.db.transaction() as session:
        await enqueue(session, jobs.REFRESH_JOB)
    worker = make_worker(unicrm_state)
    assert await worker.run_due() == 1
    async with unicrm_state.db.session() as session:
        row = await session.get(Segment, segment_id)
        assert row.member_count == 1
        assert (utcnow() - row.refreshed_at).total_seconds() < 60
        assert [s.id for s in await refresh_due(session)] == []
    assert [name for _, name in await events(unicrm_state, "segment.entered")] == ["Named P"]


async def test_a_broken_saved_definition_is_skipped_not_fatal(unicrm_state, gql):
    good = await create(gql, name="Good", definition=cond("customer.kind", "EQ", "person"))
    bad = await create(gql, name="Bad", definition=cond("customer.kind", "EQ", "person"))
    async with unicrm_state.db.transaction() as session:
        await session.execute(
            update(Segment)
            .where(Segment.id == pk(bad["segment"]["id"]))
            .values(definition=cond("gone.plugin_field", "EQ", 1))
        )
    await person(unicrm_state, "Anong")
    for payload in (good, bad):
        await _age(unicrm_state, pk(payload["segment"]["id"]), 120)
    async with unicrm_state.db.transaction() as session:
        await enqueue(session, jobs.REFRESH_JOB)
    assert await make_worker(unicrm_state).run_due() == 1
    async with unicrm_state.db.session() as session:
        assert (await session.get(Segment, pk(good["segment"]["id"]))).member_count == 1
        assert (await session.get(Segment, pk(bad["segment"]["id"]))).member_count == 0


async def test_membership_follows_a_merge(unicrm_state, gql):
    source, target = await person(unicrm_state, "Source"), await person(unicrm_state, "Target")
    only_source = (await create(gql, name="Only source", kind="STATIC"))["segment"]["id"]
    both = (await create(gql, name="Both", kind="STATIC"))["segment"]["id"]
    await gql(STATIC_ADD, {"input": {"segmentId": only_source, "customerIds": [gid(source)]}})
    await gql(STATIC_ADD, {"input": {"segmentId": both, "customerIds": [gid(source), gid(target)]}})
    async with unicrm_state.db.transaction() as session:
        await merge_customers(session, source, target, manager=unicrm_state.manager)
    assert await members_of(unicrm_state, pk(only_source)) == {target}
    assert await members_of(unicrm_state, pk(both)) == {target}


async def test_export_lists_memberships_and_erasure_removes_them(unicrm_state, gql):
    anong, boon = await person(unicrm_state, "Anong"), await person(unicrm_state, "Boon")
    segment_id = (
        await create(gql, name="People", definition=cond("customer.kind", "EQ", "person"))
    )["segment"]["id"]
    async with unicrm_state.db.session() as session:
        exported = await unicrm_state.manager.acall(
            "customer_export", only=["core"], customer_id=anong, session=session
        )
    assert [m["segment"] for part in exported for m in part.get("segments", [])] == ["People"]

    async with unicrm_state.db.transaction() as session:
        await unicrm_state.manager.acall(
            "customer_erase", only=["core"], customer_id=anong, session=session
        )
    assert await members_of(unicrm_state, pk(segment_id)) == {boon}
    async with unicrm_state.db.session() as session:
        assert (await session.get(Segment, pk(segment_id))).member_count == 1
        exported = await unicrm_state.manager.acall(
            "customer_export", only=["core"], customer_id=anong, session=session
        )
    assert all(not part.get("segments") for part in exported)


async def test_concurrent_refreshes_of_one_segment_never_double_count(unicrm_state, gql):
    """Two refreshes racing on PostgreSQL: the segment row lock makes the second wait, so
    every newcomer enters once and the count is right."""
    if unicrm_state.db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    payload = await create(
        gql, name="P", definition=cond("customer.display_name", "STARTS_WITH", "P")
    )
    segment_id = pk(payload["segment"]["id"])
    async with unicrm_state.db.transaction() as session:
        from unicrm.core.graph.customers.models import Customer, CustomerKind

        for i in range(30):
            name = f"P{i:02d}"
            session.add(Customer(kind=CustomerKind.PERSON, display_name=name, first_name=name))

    async def refresh() -> int:
        async with unicrm_state.db.transaction() as session:
            row = await session.get(Segment, segment_id)
            return (await refresh_segment(session, row)).entered

    entered = await asyncio.gather(refresh(), refresh())
    assert sorted(entered) == [0, 30]
    assert len(await events(unicrm_state, "segment.entered")) == 30
    async with unicrm_state.db.session() as session:
        count = len(list(await session.scalars(select(SegmentMember.customer_id))))
        assert (await session.get(Segment, segment_id)).member_count == count == 30
