"""``unicrm demo``: demo customers from core, then every installed plugin's demo data."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.store import load_policies
from unicrm.core.cli.runtime import cli_of, err, out, require_migrated, run
from unicrm.core.demo import DEMO_PASSWORD, seed_staff
from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.context import Actor
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.departments.services import ensure_default
from unicrm.core.state import AppState

DEFAULT_SIZE = 200


@dataclass(frozen=True, slots=True)
class DemoSummary:
    customers: int
    other_rows: int
    events: int
    staff: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = (
            f"demo data: {self.customers} customers, {self.other_rows} other rows, "
            f"{self.events} events delivered"
        )
        if self.staff:
            text += f"\nsign in as {', '.join(self.staff)} with password {DEMO_PASSWORD}"
        return text


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


class _RowCounter:
    """Counts the rows a session inserts, moving the progress bar as customers appear."""

    def __init__(self, progress: Progress, task: Any, size: int) -> None:
        self.progress, self.task, self.size = progress, task, size
        self.customers = 0
        self.others = 0

    def before_flush(self, session: Any, _context: Any, _instances: Any) -> None:
        made = sum(isinstance(o, Customer) for o in session.new)
        self.customers += made
        self.others += len(session.new) - made
        done = min(self.customers, self.size)
        label = "customers" if done < self.size else f"plugin data ({self.others} rows)"
        self.progress.update(self.task, completed=done, description=label)


async def _pending_events(state: AppState) -> int:
    async with state.db.session() as session:
        query = select(func.count()).where(OutboxEvent.dispatched_at.is_(None))
        return await session.scalar(query) or 0


async def load_demo(state: AppState, *, size: int, seed: int | None) -> DemoSummary:
    """Seed ``size`` demo customers and the plugins' data in one transaction, then deliver
    the events it emitted, so plugin event handlers see the demo like any other data."""
    rng = random.Random(seed)
    with progress_bar() as progress:
        task = progress.add_task("customers", total=size)
        counter = _RowCounter(progress, task, size)
        async with state.db.transaction() as session:
            session.info["actor"] = Actor.system("demo")
            default = await ensure_default(
                session, state.registry, state.settings.default_department
            )
            staff = await seed_staff(session, default.slug)
            await _seed(state, session, size, rng, counter)
        progress.update(task, completed=size, description="customers + plugin data")
        pending = await _pending_events(state)
        deliveries = progress.add_task("events", total=pending)
        delivered = 0
        while batch := await state.events.dispatch_pending():
            delivered += batch
            progress.update(deliveries, completed=min(delivered, pending))
    await load_policies(state)
    return DemoSummary(counter.customers, counter.others, delivered, tuple(staff))


async def _seed(
    state: AppState, session: AsyncSession, size: int, rng: random.Random, counter: _RowCounter
) -> None:
    event.listen(session.sync_session, "before_flush", counter.before_flush)
    try:
        await state.manager.acall("seed_demo_data", session=session, size=size, rng=rng)
        await session.flush()
    finally:
        event.remove(session.sync_session, "before_flush", counter.before_flush)


def demo(
    ctx: typer.Context,
    size: int = typer.Option(DEFAULT_SIZE, "--size", "-n", min=1, max=100_000, help="Customers."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed: same seed, same data."),
) -> None:
    """Load demo data: customers first, then every installed plugin's data.

    Core creates people with Thai or Latin names and companies with their contacts; plugins
    add their own (lead scores, deals, cases, loyalty members) to those customers.
    """
    state = cli_of(ctx).state()

    async def work(state: AppState) -> DemoSummary:
        await require_migrated(state)
        return await load_demo(state, size=size, seed=seed)

    out.print(str(run(state, work)), markup=False)
