"""A plugin that exists only in the tests, implementing every hook of the contract.

It greets every new customer: its ``customer.created`` handler writes an ``example_greeting``
row, which the ``exampleGreetings`` root field and the ``Customer.exampleGreeting`` field
read back. The declarative hooks return small, recognisable values the tests look for.
"""

from __future__ import annotations

import random
import sys
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import strawberry
from sqlalchemy import ColumnElement, ForeignKey, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from unicrm.core.authz.declare import guard, public, requires
from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import utcnow
from unicrm.core.events.outbox import Event
from unicrm.core.graph.consents.models import ConsentChannel
from unicrm.core.graph.context import Actor
from unicrm.core.graph.customers.models import Customer as CustomerRow
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.loaders import one_per_key
from unicrm.core.graph.merge.models import CustomerMergeJournalEntry
from unicrm.core.graph.node import Node
from unicrm.core.graph.plan import loads
from unicrm.core.jobs.contracts import JobRun, JobType, Schedule
from unicrm.core.messaging.channels import AddressKind, Channel, HttpJsonProvider
from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import Migrations, Permission, PluginManifest, RoleGrant
from unicrm.core.privacy.rows import erase_rows, export_rows, move_rows
from unicrm.core.segments.filters import CUSTOMER_ID, Op, SegmentFilter, ValueType

NAME = "example"
MIGRATIONS_DIR = Path(__file__).parent / "example_migrations"
TOKEN_HEADER = "x-example-token"
TOKEN = "letmein"

CHANNELS = [
    Channel(
        name="example_pigeon",
        title="Carrier pigeon",
        address_kind=AddressKind.POSTAL,
        consent_channel=ConsentChannel.POST,
        adapter=HttpJsonProvider(url="http://127.0.0.1:9/pigeons"),
    )
]


class Greeting(IdMixin, Base):
    """A greeting written for a customer when they were created (once per event)."""

    __tablename__ = "example_greeting"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    message: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@guard("example.greeting")
@strawberry.type(description="A greeting written for a new customer (test plugin).")
class ExampleGreeting:
    message: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Greeting) -> ExampleGreeting:
        return cls(message=row.message, created_at=row.created_at)


@guard("example.greeting")
@strawberry.type(
    description="A node reachable only through node(id), so only graphql_types adds it."
)
class ExampleStamp(Node):
    label: str

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> ExampleStamp:
        return cls(id=strawberry.ID(to_global_id("ExampleStamp", pk)), label=f"stamp {pk.hex[:8]}")


@strawberry.type
class ExampleQuery:
    @strawberry.field(
        metadata=requires("example.greeting:read"), description="Every greeting, oldest first."
    )
    async def example_greetings(self, info: strawberry.Info) -> list[ExampleGreeting]:
        async with info.context.db.session() as session:
            rows = await session.scalars(select(Greeting).order_by(Greeting.created_at))
            return [ExampleGreeting.from_row(r) for r in rows]


@strawberry.type
class ExampleMutation:
    @strawberry.mutation(metadata=public(), description="Echo the text back, shouted.")
    def example_shout(self, text: str) -> str:
        return text.upper()


@strawberry.type
class ExampleSubscription:
    @strawberry.subscription(metadata=public(), description="Count down from start to zero.")
    async def example_countdown(self, start: int) -> AsyncGenerator[int, None]:
        for value in range(start, -1, -1):
            yield value


def _type_fields() -> dict[str, list[Any]]:
    @loads("example.greeting_by_customer", one=ExampleGreeting.from_row)
    async def example_greeting(root: Customer, info: strawberry.Info) -> ExampleGreeting | None:
        """The customer's greeting, batched per level (declared for the compiled executor)."""

    return {"Customer": [strawberry.field(resolver=example_greeting)]}


async def _greetings_by_customer(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.scalars(
        select(Greeting).where(Greeting.customer_id.in_(keys)).order_by(Greeting.created_at)
    )
    return [(r.customer_id, r) for r in rows]


async def greet(event: Event, session: AsyncSession) -> None:
    customer = await session.get(CustomerRow, event.customer_id)
    if customer is not None:
        session.add(
            Greeting(
                customer_id=customer.id,
                event_id=event.id,
                message=f"Welcome, {customer.display_name}!",
            )
        )


async def sweep_greetings(job: JobRun, session: AsyncSession) -> None:
    """Greet every customer who has no greeting yet (the hourly job); running it twice
    greets nobody twice."""
    greeted = select(Greeting.customer_id)
    for customer in await session.scalars(
        select(CustomerRow).where(CustomerRow.id.not_in(greeted))
    ):
        session.add(Greeting(customer_id=customer.id, message=f"Hello, {customer.display_name}!"))


JOBS = [
    JobType("example.sweep_greetings", sweep_greetings, max_attempts=3, backoff=60),
    Schedule("example.hourly_sweep", "0 * * * *", job="example.sweep_greetings"),
]


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello from the example plugin")


@hookimpl
def plugin_manifest() -> PluginManifest:
    return PluginManifest(name=NAME, version="0.0.1", title="Example", description="Test plugin.")


@hookimpl
def register_models() -> ModuleType:
    return sys.modules[__name__]


@hookimpl
def register_migrations() -> Migrations:
    return Migrations(NAME, str(MIGRATIONS_DIR))


@hookimpl
def register_permissions() -> list[Permission]:
    return [Permission("example.greeting", ("read",), "Greetings written for new customers.")]


@hookimpl
def register_default_roles() -> list[RoleGrant]:
    return [RoleGrant("greeter", ("example.greeting:read",), "Reads the greetings.")]


@hookimpl
def graphql_query() -> type:
    return ExampleQuery


@hookimpl
def graphql_mutation() -> type:
    return ExampleMutation


@hookimpl
def graphql_subscription() -> type:
    return ExampleSubscription


@hookimpl
def graphql_type_fields() -> dict[str, list[Any]]:
    return _type_fields()


@hookimpl
def graphql_types() -> list[type]:
    return [ExampleStamp]


@hookimpl
def graphql_loaders() -> dict[str, Any]:
    return {"example.greeting_by_customer": one_per_key(_greetings_by_customer)}


@hookimpl
def register_event_handlers() -> dict[str, Any]:
    return {"customer.created": greet}


@hookimpl
def register_jobs() -> list[Any]:
    return JOBS


@hookimpl
def register_routes() -> list[Route]:
    return [Route("/example/hello", hello)]


def _greeted(op: Op, value: bool) -> ColumnElement[bool]:
    """``example.greeted EQ true``: the customer has a greeting (EXISTS, correlated)."""
    greeted = select(Greeting.id).where(Greeting.customer_id == CUSTOMER_ID).exists()
    return greeted if value else ~greeted


@hookimpl
def segment_filters() -> list[SegmentFilter]:
    return [
        SegmentFilter(
            "example.greeted",
            "Greeted",
            ValueType.BOOLEAN,
            (Op.EQ,),
            _greeted,
            description="Whether the example plugin greeted the customer.",
            permission="example.greeting",
        )
    ]


@hookimpl
def register_channels() -> list[Channel]:
    return CHANNELS


@hookimpl
def customer_timeline_kinds() -> dict[str, str]:
    return {"example.greeted": "A greeting was written for the customer."}


@hookimpl
async def customer_merge(
    source_id: uuid.UUID, target_id: uuid.UUID, session: AsyncSession, journal: Any
) -> None:
    await move_rows(session, Greeting, source_id, target_id, journal)


@hookimpl
async def customer_unmerge(merge_id: uuid.UUID, session: AsyncSession) -> None:
    """Put back, newest first, the customer ids this plugin's ``customer_merge`` changed."""
    entries = await session.scalars(
        select(CustomerMergeJournalEntry)
        .where(
            CustomerMergeJournalEntry.merge_id == merge_id,
            CustomerMergeJournalEntry.table_name == Greeting.__tablename__,
            CustomerMergeJournalEntry.column_name == "customer_id",
        )
        .order_by(CustomerMergeJournalEntry.seq.desc())
    )
    for entry in entries:
        await session.execute(
            update(Greeting)
            .where(Greeting.id == uuid.UUID(entry.row_pk))
            .values(customer_id=uuid.UUID(entry.old_value))
        )


@hookimpl
async def customer_export(customer_id: uuid.UUID, session: AsyncSession) -> dict[str, Any]:
    return {"example_greetings": await export_rows(session, Greeting, customer_id)}


@hookimpl
async def customer_erase(customer_id: uuid.UUID, session: AsyncSession) -> None:
    await erase_rows(session, Greeting, customer_id)


@hookimpl
async def seed_demo_data(session: AsyncSession, size: int, rng: random.Random) -> None:
    customers = (
        await session.scalars(select(CustomerRow).order_by(CustomerRow.id).limit(size))
    ).all()
    for customer in rng.sample(customers, k=min(2, len(customers))):
        session.add(
            Greeting(customer_id=customer.id, message=f"Hello again, {customer.display_name}")
        )
    await session.flush()


@hookimpl
async def startup(app: Any) -> None:
    app.state.example_started = True


@hookimpl
async def shutdown(app: Any) -> None:
    app.state.example_stopped = True


@hookimpl
async def authenticate(request: Request) -> Actor | None:
    if request.headers.get(TOKEN_HEADER) == TOKEN:
        return Actor(user_id=None, name="example-bot", kind="api_key")
    return None
