from __future__ import annotations

import strawberry

from unicrm.core.authz.declare import requires
from unicrm.core.graph.customers import services
from unicrm.core.graph.customers.models import CustomerKind as RowKind
from unicrm.core.graph.customers.types import (
    Customer,
    CustomerCreateInput,
    CustomerError,
    CustomerErrorCode,
    CustomerPayload,
    CustomerUpdateInput,
)
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate


def _optional_id(value: str | None, field: str, type_name: str = "Customer") -> object:
    if value is strawberry.UNSET:
        return services.UNSET
    return None if value is None else decode_id(value, type_name, field)


def _given(value: object) -> object:
    return services.UNSET if value is strawberry.UNSET else value


def _payload(customer) -> dict:
    return {"customer": Customer.from_row(customer)}


@strawberry.type
class CustomerMutation:
    @strawberry.mutation(
        metadata=requires("core.customer:write"), description="Create a person or company customer."
    )
    async def customer_create(
        self, info: strawberry.Info, input: CustomerCreateInput
    ) -> CustomerPayload:
        actor_user = info.context.actor.user_id

        async def work(session):
            data = services.CustomerData(
                kind=RowKind(input.kind.value),
                first_name=input.first_name,
                last_name=input.last_name,
                birth_date=input.birth_date,
                company_name=input.company_name,
                tax_id=input.tax_id,
                industry=input.industry,
                parent_id=_optional_id(input.parent_id, "parent_id"),
                # A customer without a named owner belongs to the staff member creating it,
                # so a rep whose scope is their own customers keeps seeing it.
                owner_id=_optional_id(input.owner_id, "owner_id", "User") or actor_user,
                department_id=_optional_id(input.department_id, "department_id", "Department"),
            )
            return await services.create_customer(session, data)

        return await mutate(
            info,
            work,
            payload=CustomerPayload,
            error_type=CustomerError,
            codes=CustomerErrorCode,
            result=_payload,
        )

    @strawberry.mutation(
        metadata=requires("core.customer:write"),
        description="Change a customer's fields; omitted fields stay as they are.",
    )
    async def customer_update(
        self, info: strawberry.Info, input: CustomerUpdateInput
    ) -> CustomerPayload:
        async def work(session):
            customer_id = decode_id(input.id, "Customer")
            data = services.CustomerData(
                first_name=_given(input.first_name),
                last_name=_given(input.last_name),
                birth_date=_given(input.birth_date),
                company_name=_given(input.company_name),
                tax_id=_given(input.tax_id),
                industry=_given(input.industry),
                parent_id=_optional_id(input.parent_id, "parent_id"),
                owner_id=_optional_id(input.owner_id, "owner_id", "User"),
                department_id=_optional_id(input.department_id, "department_id", "Department"),
            )
            return await services.update_customer(session, customer_id, data)

        return await mutate(
            info,
            work,
            payload=CustomerPayload,
            error_type=CustomerError,
            codes=CustomerErrorCode,
            result=_payload,
        )


MUTATION = CustomerMutation
