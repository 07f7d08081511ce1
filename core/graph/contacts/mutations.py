from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.contacts import services
from unicrm.core.graph.contacts.types import (
    ContactError,
    ContactErrorCode,
    CustomerAddress,
    CustomerAddressAddInput,
    CustomerAddressPayload,
    CustomerAddressUpdateInput,
    CustomerContactRemoveInput,
    CustomerContactRemovePayload,
    CustomerEmail,
    CustomerEmailAddInput,
    CustomerEmailPayload,
    CustomerEmailUpdateInput,
    CustomerPhone,
    CustomerPhoneAddInput,
    CustomerPhonePayload,
    CustomerPhoneUpdateInput,
)
from unicrm.core.graph.customers.services import UNSET
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate


def _customer(input: Any) -> uuid.UUID:
    return decode_id(input.customer_id, "Customer", "customer_id")


def _unless_null(value: Any) -> Any:
    """For non-nullable columns an explicit null means "leave as it is", like omission."""
    return UNSET if value is strawberry.UNSET or value is None else value


def _given(value: Any) -> Any:
    return UNSET if value is strawberry.UNSET else value


async def _run(
    info: strawberry.Info,
    work: Callable[[AsyncSession], Awaitable[Any]],
    payload: Callable[..., Any],
    result: Callable[[Any], dict[str, Any]],
) -> Any:
    return await mutate(
        info, work, payload=payload, error_type=ContactError, codes=ContactErrorCode, result=result
    )


def _removed(input: CustomerContactRemoveInput) -> Callable[[Any], dict[str, Any]]:
    return lambda customer: {"removed_id": input.id, "customer": Customer.from_row(customer)}


def _email(row: Any) -> dict[str, Any]:
    return {"email": CustomerEmail.from_row(row)}


def _phone(row: Any) -> dict[str, Any]:
    return {"phone": CustomerPhone.from_row(row)}


def _address(row: Any) -> dict[str, Any]:
    return {"address": CustomerAddress.from_row(row)}


def _address_data(input: CustomerAddressAddInput | CustomerAddressUpdateInput) -> Any:
    return services.AddressData(
        line1=_given(input.line1),
        line2=_given(input.line2),
        sub_district=_given(input.sub_district),
        district=_given(input.district),
        province=_given(input.province),
        postal_code=_given(input.postal_code),
        country=_unless_null(input.country),
        label=_unless_null(input.label),
        is_primary=_unless_null(input.is_primary),
    )


@strawberry.type
class ContactMutation:
    @strawberry.mutation(
        metadata=requires("core.contact:write"),
        description="Add an email address; setting it primary demotes the old.",
    )
    async def customer_email_add(
        self, info: strawberry.Info, input: CustomerEmailAddInput
    ) -> CustomerEmailPayload:
        async def work(session: AsyncSession) -> Any:
            return await services.add_email(
                session,
                _customer(input),
                input.address,
                label=input.label,
                is_primary=input.is_primary,
                is_verified=input.is_verified,
            )

        return await _run(info, work, CustomerEmailPayload, _email)

    @strawberry.mutation(
        metadata=requires("core.contact:write"),
        description="Change an email's label, primary or verified flag.",
    )
    async def customer_email_update(
        self, info: strawberry.Info, input: CustomerEmailUpdateInput
    ) -> CustomerEmailPayload:
        async def work(session: AsyncSession) -> Any:
            return await services.update_email(
                session,
                _customer(input),
                decode_id(input.id, "CustomerEmail"),
                label=_unless_null(input.label),
                is_primary=_unless_null(input.is_primary),
                is_verified=_unless_null(input.is_verified),
            )

        return await _run(info, work, CustomerEmailPayload, _email)

    @strawberry.mutation(
        metadata=requires("core.contact:write"),
        description="Remove an email address from a customer.",
    )
    async def customer_email_remove(
        self, info: strawberry.Info, input: CustomerContactRemoveInput
    ) -> CustomerContactRemovePayload:
        async def work(session: AsyncSession) -> Any:
            email_id = decode_id(input.id, "CustomerEmail")
            return await services.remove_email(session, _customer(input), email_id)

        return await _run(info, work, CustomerContactRemovePayload, _removed(input))

    @strawberry.mutation(
        metadata=requires("core.contact:write"),
        description="Add a phone number, normalized to E.164.",
    )
    async def customer_phone_add(
        self, info: strawberry.Info, input: CustomerPhoneAddInput
    ) -> CustomerPhonePayload:
        async def work(session: AsyncSession) -> Any:
            return await services.add_phone(
                session,
                _customer(input),
                input.number,
                label=input.label,
                is_primary=input.is_primary,
                is_verified=input.is_verified,
            )

        return await _run(info, work, CustomerPhonePayload, _phone)

    @strawberry.mutation(
        metadata=requires("core.contact:write"),
        description="Change a phone's label, primary or verified flag.",
    )
    async def customer_phone_update(
        self, info: strawberry.Info, input: CustomerPhoneUpdateInput
    ) -> CustomerPhonePayload:
        async def work(session: AsyncSession) -> Any:
            return await services.update_phone(
                session,
                _customer(input),
                decode_id(input.id, "CustomerPhone"),
                label=_unless_null(input.label),
                is_primary=_unless_null(input.is_primary),
                is_verified=_unless_null(input.is_verified),
            )

        return await _run(info, work, CustomerPhonePayload, _phone)

    @strawberry.mutation(
        metadata=requires("core.contact:write"),
        description="Remove a phone number from a customer.",
    )
    async def customer_phone_remove(
        self, info: strawberry.Info, input: CustomerContactRemoveInput
    ) -> CustomerContactRemovePayload:
        async def work(session: AsyncSession) -> Any:
            phone_id = decode_id(input.id, "CustomerPhone")
            return await services.remove_phone(session, _customer(input), phone_id)

        return await _run(info, work, CustomerContactRemovePayload, _removed(input))

    @strawberry.mutation(
        metadata=requires("core.contact:write"), description="Add a postal address."
    )
    async def customer_address_add(
        self, info: strawberry.Info, input: CustomerAddressAddInput
    ) -> CustomerAddressPayload:
        async def work(session: AsyncSession) -> Any:
            data = _address_data(input)
            return await services.add_address(session, _customer(input), data)

        return await _run(info, work, CustomerAddressPayload, _address)

    @strawberry.mutation(
        metadata=requires("core.contact:write"),
        description="Change an address; omitted fields stay as they are.",
    )
    async def customer_address_update(
        self, info: strawberry.Info, input: CustomerAddressUpdateInput
    ) -> CustomerAddressPayload:
        async def work(session: AsyncSession) -> Any:
            address_id = decode_id(input.id, "CustomerAddress")
            data = _address_data(input)
            return await services.update_address(session, _customer(input), address_id, data)

        return await _run(info, work, CustomerAddressPayload, _address)

    @strawberry.mutation(
        metadata=requires("core.contact:write"),
        description="Remove a postal address from a customer.",
    )
    async def customer_address_remove(
        self, info: strawberry.Info, input: CustomerContactRemoveInput
    ) -> CustomerContactRemovePayload:
        async def work(session: AsyncSession) -> Any:
            address_id = decode_id(input.id, "CustomerAddress")
            return await services.remove_address(session, _customer(input), address_id)

        return await _run(info, work, CustomerContactRemovePayload, _removed(input))


MUTATION = ContactMutation
