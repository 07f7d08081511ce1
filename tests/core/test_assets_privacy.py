"""Assets, contracts and preferences follow a merge, appear in the export, and on erasure
preferences go while assets and contracts stay, anonymised."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from unicrm.core.graph.assets.models import Asset
from unicrm.core.graph.assets.services import AssetData, register_asset
from unicrm.core.graph.contracts.models import BillingPeriod, Contract, ContractKind
from unicrm.core.graph.contracts.services import ContractData, create_contract
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.merge.services import merge_customers
from unicrm.core.graph.preferences.models import (
    CustomerPreference,
    NoteKind,
    PreferenceNote,
    PreferredChannel,
)
from unicrm.core.graph.preferences.services import (
    NoteData,
    PreferenceChange,
    add_note,
    set_preferences,
)
from unicrm.core.graph.products.services import Price, ProductData, create_product

TODAY = date(2026, 6, 1)


async def person(session, name: str) -> uuid.UUID:
    return (
        await create_customer(session, CustomerData(kind=CustomerKind.PERSON, first_name=name))
    ).id


async def seed(state) -> tuple[uuid.UUID, uuid.UUID]:
    """A source customer with an asset, a contract on it, preferences and two notes; a target
    with its own preferences and one of the same notes."""
    async with state.db.transaction() as session:
        source, target = await person(session, "Source"), await person(session, "Target")
        product = await create_product(
            session, ProductData(sku="AC-1", name="Air con", price=Price(Decimal(1), "THB"))
        )
        asset = await register_asset(
            session,
            AssetData(
                customer_id=source,
                product_id=product.id,
                purchase_date=TODAY,
                serial_number="AC-0001",
                location="Bedroom, 99 Sukhumvit",
                notes="gate code 1234",
            ),
            TODAY,
        )
        await create_contract(
            session,
            ContractData(
                customer_id=source,
                kind=ContractKind.MAINTENANCE_PLAN,
                name="Yearly service",
                start_date=TODAY,
                end_date=date(2027, 5, 31),
                billing_period=BillingPeriod.YEARLY,
                asset_id=asset.id,
                notes="prefers mornings",
            ),
            TODAY,
        )
        await set_preferences(
            session, source, PreferenceChange(preferred_channel=PreferredChannel.SMS)
        )
        await set_preferences(
            session, target, PreferenceChange(preferred_channel=PreferredChannel.LINE)
        )
        await add_note(session, source, NoteData(NoteKind.ALLERGY, "Peanut allergy"))
        await add_note(session, source, NoteData(NoteKind.DIETARY, "no coriander"))
        await add_note(session, target, NoteData(NoteKind.ALLERGY, "peanut allergy"))
    return source, target


async def test_merge_moves_assets_contracts_and_notes_and_keeps_the_targets_preferences(
    unicrm_state,
):
    source, target = await seed(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        await merge_customers(session, source, target, manager=unicrm_state.manager)
    async with unicrm_state.db.session() as session:
        assert (await session.scalar(select(Asset.customer_id))) == target
        assert (await session.scalar(select(Contract.customer_id))) == target
        preferences = (await session.scalars(select(CustomerPreference))).all()
        notes = (
            await session.scalars(
                select(PreferenceNote.text).where(PreferenceNote.customer_id == target)
            )
        ).all()
    assert [(p.customer_id, p.preferred_channel) for p in preferences] == [
        (target, PreferredChannel.LINE)
    ]
    assert sorted(notes) == ["no coriander", "peanut allergy"]


async def test_export_gathers_them_and_erase_removes_preferences_and_anonymises_the_rest(
    gql, unicrm_state
):
    source, _ = await seed(unicrm_state)
    manager = unicrm_state.manager
    async with unicrm_state.db.session() as session:
        parts = await manager.acall("customer_export", only=[], customer_id=source, session=session)
    (sections,) = parts
    assert [a["serial_number"] for a in sections["assets"]] == ["AC-0001"]
    assert [c["name"] for c in sections["contracts"]] == ["Yearly service"]
    assert [h["to_status"] for h in sections["contract_status_changes"]] == ["active"]
    assert [p["preferred_channel"] for p in sections["preferences"]] == ["sms"]
    assert sorted(n["text"] for n in sections["preference_notes"]) == [
        "Peanut allergy",
        "no coriander",
    ]

    async with unicrm_state.db.transaction() as session:
        await manager.acall("customer_erase", only=[], customer_id=source, session=session)
    async with unicrm_state.db.session() as session:
        after = await manager.acall("customer_export", only=[], customer_id=source, session=session)
        asset = await session.scalar(select(Asset))
        contract = await session.scalar(select(Contract))
        notes = (
            await session.scalars(
                select(PreferenceNote).where(PreferenceNote.customer_id == source)
            )
        ).all()
        preference = await session.get(CustomerPreference, source)
    assert not any(rows for part in after for rows in part.values())
    assert (asset.customer_id, asset.serial_number, asset.location, asset.notes) == (
        None,
        "AC-0001",
        None,
        None,
    )
    assert (contract.customer_id, contract.name, contract.notes) == (None, "Yearly service", None)
    assert notes == [] and preference is None
    body = await gql(
        "query($id: ID!) { asset(id: $id) { serialNumber customer { id } } }",
        {"id": to_global_id("Asset", asset.id)},
    )
    assert body["data"]["asset"] == {"serialNumber": "AC-0001", "customer": None}
