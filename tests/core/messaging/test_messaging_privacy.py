"""Messages and suppressions follow merges, are exported, and survive erasure anonymised: an
erased customer's addresses stay suppressed by hash, so they are never contacted again."""

from __future__ import annotations

from messaging_support import add_customer, add_templates, run_jobs
from sqlalchemy import select

from unicrm.core.graph.consents.models import ConsentChannel
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.merge.services import merge_customers
from unicrm.core.messaging import policy, services
from unicrm.core.messaging.models import (
    Message,
    MessagePurpose,
    MessageStatus,
    Suppression,
    SuppressionReason,
)


async def send(state, customer_id, sender_key="campaign:1", channel="email"):
    async with state.db.transaction() as session:
        return await services.send(
            session,
            customer_id=customer_id,
            channel=channel,
            purpose=MessagePurpose.MARKETING,
            template="welcome",
            sender_key=sender_key,
            context={"code": "A1"},
        )


async def export(state, customer_id) -> dict:
    async with state.db.session() as session:
        parts = await state.manager.acall(
            "customer_export", customer_id=customer_id, session=session
        )
    return {name: rows for part in parts for name, rows in part.items()}


async def test_merge_moves_messages_and_suppressions(unicrm_state, configure):
    await add_templates(unicrm_state)
    source = await add_customer(unicrm_state, "Dup", email="dup@example.co.th")
    target = await add_customer(unicrm_state, "Keep", email="keep@example.co.th")
    moved = await send(unicrm_state, source, sender_key="campaign:1")
    await send(unicrm_state, source, sender_key="campaign:2")
    kept = await send(unicrm_state, target, sender_key="campaign:2")
    async with unicrm_state.db.transaction() as session:
        message = await session.get_one(Message, moved.id)
        await services.suppress(
            session,
            channel="email",
            address="dup@example.co.th",
            reason=SuppressionReason.UNSUBSCRIBED,
            customer_id=source,
            message_id=message.id,
        )

    async with unicrm_state.db.transaction() as session:
        await merge_customers(session, source, target, manager=unicrm_state.manager)

    async with unicrm_state.db.session() as session:
        owners = dict(
            (await session.execute(select(Message.sender_key, Message.customer_id))).all()
        )
        by_target = (
            await session.scalars(select(Message.id).where(Message.customer_id == target))
        ).all()
        suppression = await session.scalar(select(Suppression))
    assert sorted(by_target) == sorted([moved.id, kept.id])  # the survivor's campaign:2 wins
    assert set(owners.values()) == {target}
    assert suppression.customer_id == target
    # The survivor's idempotency holds: campaign:1 is now the survivor's.
    assert (await send(unicrm_state, target, sender_key="campaign:1")).id == moved.id


async def test_export_holds_messages_with_history_and_suppressions(unicrm_state, configure, smtp):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    message = await send(unicrm_state, malee)
    await run_jobs(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        await services.unsubscribe(session, message.id)

    exported = await export(unicrm_state, malee)

    [row] = exported["messages"]
    assert row["address"] == "malee@example.co.th"
    assert [h["status"] for h in row["history"]] == ["queued", "sent", "unsubscribed"]
    assert [s["reason"] for s in exported["message_suppressions"]] == ["unsubscribed"]
    assert "messages" not in await export(
        unicrm_state, await add_customer(unicrm_state, "Nobody", email=None)
    )


async def test_erase_anonymises_messages_and_keeps_a_hashed_suppression(
    unicrm_state, configure, smtp
):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    message = await send(unicrm_state, malee)
    await send(unicrm_state, malee, channel="sms")
    await run_jobs(unicrm_state)

    async with unicrm_state.db.transaction() as session:
        await unicrm_state.manager.acall("customer_erase", customer_id=malee, session=session)
        await session.delete(await session.get_one(Customer, malee))

    after = await export(unicrm_state, malee)
    assert after.get("messages", []) == [] and after.get("message_suppressions", []) == []
    async with unicrm_state.db.session() as session:
        erased = await session.get_one(Message, message.id)
        suppressions = (await session.scalars(select(Suppression))).all()
    assert (erased.customer_id, erased.address, erased.text_body) == (None, None, None)
    assert erased.status is MessageStatus.SENT
    assert sorted((s.channel, s.reason, s.address) for s in suppressions) == [
        ("email", SuppressionReason.ERASED, None),
        ("sms", SuppressionReason.ERASED, None),
    ]
    assert {s.address_hash for s in suppressions} == {
        policy.address_hash("malee@example.co.th"),
        policy.address_hash("+66812345678"),
    }

    # The same person signs up again: same address, fresh consent. Still never contacted.
    again = await add_customer(unicrm_state, "Malee", consent=(ConsentChannel.EMAIL,))
    blocked = await send(unicrm_state, again, sender_key="campaign:9")
    assert (blocked.status, blocked.reason_code) == (MessageStatus.BLOCKED, "SUPPRESSED")
    assert "erased" in blocked.reason
    async with unicrm_state.db.transaction() as session:
        [erased_suppression] = [s for s in suppressions if s.channel == "email"]
        refused = None
        try:
            await services.remove_suppression(session, erased_suppression.id)
        except services.DomainError as error:
            refused = error.errors[0].code
    assert refused == "ERASED"
