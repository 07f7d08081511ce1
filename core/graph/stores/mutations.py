from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.customers.services import UNSET
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.graph.stores import models, services
from unicrm.core.graph.stores.types import (
    Store,
    StoreCreateInput,
    StoreError,
    StoreErrorCode,
    StorePayload,
    StoreUpdateInput,
    to_intervals,
)


def _payload(store: models.Store) -> dict:
    return {"store": Store.from_row(store)}


def _staff(ids: list[strawberry.ID]) -> list:
    return [decode_id(u, "User", f"staff_ids.{i}") for i, u in enumerate(ids)]


def _given(value: object, default: object = UNSET) -> object:
    """An UNSET input stays UNSET; an explicit null on a required column means ``default``."""
    if value is strawberry.UNSET:
        return UNSET
    return default if value is None else value


@strawberry.type
class StoreMutation:
    @strawberry.mutation(metadata=requires("core.store:write"), description="Open a store.")
    async def store_create(self, info: strawberry.Info, input: StoreCreateInput) -> StorePayload:
        zone = info.context.settings.timezone

        async def work(session: AsyncSession) -> models.Store:
            data = services.StoreData(
                code=input.code,
                name=input.name,
                line1=input.line1,
                line2=input.line2,
                sub_district=input.sub_district,
                district=input.district,
                province=input.province,
                postal_code=input.postal_code,
                country=input.country,
                phone=input.phone,
                opening_hours=to_intervals(input.opening_hours),
                timezone=input.timezone,
                tax_branch=input.tax_branch,
                active=input.active,
                staff=_staff(input.staff_ids),
            )
            return await services.create_store(session, data, zone)

        return await mutate(
            info,
            work,
            payload=StorePayload,
            error_type=StoreError,
            codes=StoreErrorCode,
            result=_payload,
        )

    @strawberry.mutation(
        metadata=requires("core.store:write"),
        description="Change a store; omitted fields stay as they are.",
    )
    async def store_update(self, info: strawberry.Info, input: StoreUpdateInput) -> StorePayload:
        zone = info.context.settings.timezone

        async def work(session: AsyncSession) -> models.Store:
            hours = _given(input.opening_hours, [])
            staff = _given(input.staff_ids, [])
            data = services.StoreData(
                code=_given(input.code, ""),
                name=_given(input.name, ""),
                line1=_given(input.line1, ""),
                line2=_given(input.line2, None),
                sub_district=_given(input.sub_district, None),
                district=_given(input.district, None),
                province=_given(input.province, None),
                postal_code=_given(input.postal_code, None),
                country=_given(input.country, ""),
                phone=_given(input.phone, None),
                opening_hours=UNSET if hours is UNSET else to_intervals(hours),
                timezone=_given(input.timezone, None),
                tax_branch=_given(input.tax_branch, ""),
                active=_given(input.active, True),
                staff=UNSET if staff is UNSET else _staff(staff),
            )
            return await services.update_store(session, decode_id(input.id, "Store"), data, zone)

        return await mutate(
            info,
            work,
            payload=StorePayload,
            error_type=StoreError,
            codes=StoreErrorCode,
            result=_payload,
        )


MUTATION = StoreMutation
