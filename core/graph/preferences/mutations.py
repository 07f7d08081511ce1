from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.customers.models import Customer as CustomerRow
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.graph.preferences import models, services
from unicrm.core.graph.preferences.types import (
    CustomerPreferences,
    CustomerPreferencesPayload,
    CustomerPreferencesSetInput,
    PreferenceError,
    PreferenceErrorCode,
    PreferenceNote,
    PreferenceNoteAddInput,
    PreferenceNotePayload,
    PreferenceNoteRemoveInput,
    PreferenceNoteRemovePayload,
)


def _given(value: object) -> object:
    return services.UNSET if value is strawberry.UNSET else value


@strawberry.type
class PreferenceMutation:
    @strawberry.mutation(
        metadata=requires("core.preference:write"),
        description="Set a customer's preferred channel, language, store and contact times.",
    )
    async def customer_preferences_set(
        self, info: strawberry.Info, input: CustomerPreferencesSetInput
    ) -> CustomerPreferencesPayload:
        async def work(session: AsyncSession) -> models.CustomerPreference:
            windows = input.contact_windows
            change = services.PreferenceChange(
                preferred_channel=_given(input.preferred_channel),
                preferred_language=_given(input.preferred_language),
                preferred_store_code=_given(input.preferred_store_code),
                contact_windows=services.UNSET
                if windows is strawberry.UNSET
                else [services.ContactWindow(w.weekday, w.start, w.end) for w in windows or ()],
            )
            customer_id = decode_id(input.customer_id, "Customer", "customer_id")
            return await services.set_preferences(session, customer_id, change)

        return await mutate(
            info,
            work,
            payload=CustomerPreferencesPayload,
            error_type=PreferenceError,
            codes=PreferenceErrorCode,
            result=lambda row: {"preferences": CustomerPreferences.from_row(row.customer_id, row)},
        )

    @strawberry.mutation(
        metadata=requires("core.preference:write"),
        description='Add a dietary, allergy or other note ("no pork skin", "peanut allergy"); '
        "the same note twice is a DUPLICATE error.",
    )
    async def preference_note_add(
        self, info: strawberry.Info, input: PreferenceNoteAddInput
    ) -> PreferenceNotePayload:
        async def work(session: AsyncSession) -> models.PreferenceNote:
            data = services.NoteData(
                kind=input.kind, text=input.text, severity=input.severity, sensitive=input.sensitive
            )
            customer_id = decode_id(input.customer_id, "Customer", "customer_id")
            return await services.add_note(session, customer_id, data)

        return await mutate(
            info,
            work,
            payload=PreferenceNotePayload,
            error_type=PreferenceError,
            codes=PreferenceErrorCode,
            result=lambda row: {"note": PreferenceNote.from_row(row)},
        )

    @strawberry.mutation(
        metadata=requires("core.preference:write"), description="Remove a note of a customer."
    )
    async def preference_note_remove(
        self, info: strawberry.Info, input: PreferenceNoteRemoveInput
    ) -> PreferenceNoteRemovePayload:
        async def work(session: AsyncSession) -> CustomerRow:
            note_id = decode_id(input.id, "PreferenceNote")
            customer_id = decode_id(input.customer_id, "Customer", "customer_id")
            return await services.remove_note(session, customer_id, note_id)

        return await mutate(
            info,
            work,
            payload=PreferenceNoteRemovePayload,
            error_type=PreferenceError,
            codes=PreferenceErrorCode,
            result=lambda row: {"removed_id": input.id, "customer": Customer.from_row(row)},
        )


MUTATION = PreferenceMutation
