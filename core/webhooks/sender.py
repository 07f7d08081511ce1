"""Sending webhook deliveries: claim due ones, POST them signed, log and schedule retries.

A batch of due deliveries (``webhooks.concurrency``) is claimed with ``FOR UPDATE SKIP
LOCKED`` and leased (``next_attempt_at`` moves past the request timeout) in a short
transaction, so no database lock is held during HTTP requests and a sender that dies
mid-request leaves deliveries that come due again. Each attempt is logged; a 2xx response
delivers, anything else is retried with backoff until ``webhooks.max_attempts``, and an
endpoint that fails ``webhooks.disable_after_failures`` times in a row is disabled with
its reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from sqlalchemy import select, update

from unicrm.core.config import Settings
from unicrm.core.db.database import Database
from unicrm.core.db.types import utcnow
from unicrm.core.events.models import DUE_STATUSES, DeliveryStatus, OutboxEvent
from unicrm.core.graph.ids import to_global_id
from unicrm.core.retry import RetryPolicy
from unicrm.core.telemetry.tracing import consumer_span, with_traceparent
from unicrm.core.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from unicrm.core.webhooks.secrets import SecretUnreadable, decrypt_secret, signature_header
from unicrm.core.webhooks.targets import TargetRefused, resolve_target

log = logging.getLogger("unicrm.webhooks")

SNIPPET_BYTES = 1024
LEASE_MARGIN_SECONDS = 30
USER_AGENT = "UniCRM-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Job:
    delivery_id: uuid.UUID
    attempts: int
    endpoint_id: uuid.UUID
    url: str
    secret_encrypted: bytes
    event: OutboxEvent


@dataclass(frozen=True, slots=True)
class Outcome:
    job: Job
    status_code: int | None
    latency_ms: int
    snippet: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def event_body(event: OutboxEvent) -> bytes:
    """The JSON a receiver gets: the event's id, type, time, customer and payload."""
    return orjson.dumps(
        {
            "id": str(event.id),
            "type": event.type,
            "created_at": event.created_at.isoformat(),
            "customer_id": None
            if event.customer_id is None
            else to_global_id("Customer", event.customer_id),
            "data": event.payload,
        }
    )


async def _claim(db: Database, now: datetime, limit: int, lease: timedelta) -> list[Job]:
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(WebhookDelivery, WebhookEndpoint, OutboxEvent)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
                .where(
                    WebhookDelivery.status.in_(DUE_STATUSES),
                    WebhookDelivery.next_attempt_at <= now,
                    WebhookEndpoint.active.is_(True),
                )
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=WebhookDelivery)
            )
        ).all()
        for delivery, _, _ in rows:
            delivery.next_attempt_at = now + lease
        return [Job(d.id, d.attempts, e.id, e.url, e.secret_encrypted, ev) for d, e, ev in rows]


async def _read_snippet(response: httpx.Response) -> str:
    head = b""
    async for chunk in response.aiter_raw():
        head += chunk
        if len(head) >= SNIPPET_BYTES:
            break
    return head[:SNIPPET_BYTES].decode("utf-8", errors="replace")


async def _send(client: httpx.AsyncClient, job: Job, settings: Settings) -> Outcome:
    started = time.perf_counter()

    def done(code: int | None, snippet: str | None, error: str | None) -> Outcome:
        latency = int((time.perf_counter() - started) * 1000)
        return Outcome(job, code, latency, snippet, error)

    cfg = settings.webhooks
    attributes = {
        "unicrm.event.type": job.event.type,
        "unicrm.webhook.delivery": str(job.delivery_id),
    }
    with consumer_span(f"webhook {job.event.type}", job.event.traceparent, attributes):
        try:
            secret = decrypt_secret(job.secret_encrypted, settings.secret_key.get_secret_value())
            target = await resolve_target(job.url, allow_private=cfg.allow_private_targets)
        except (SecretUnreadable, TargetRefused) as exc:
            return done(None, None, f"refused: {exc}")
        body = event_body(job.event)
        headers = with_traceparent(
            {
                "Host": urlsplit(job.url).netloc,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "UniCRM-Event": job.event.type,
                "UniCRM-Delivery": str(job.delivery_id),
                "UniCRM-Signature": signature_header(secret, body),
            }
        )
        request = client.build_request(
            "POST",
            target.pinned_url,
            content=body,
            headers=headers,
            extensions={"sni_hostname": target.host},
        )
        try:
            response = await client.send(request, stream=True)
            try:
                snippet = await _read_snippet(response)
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            return done(None, None, f"timed out after {cfg.timeout_seconds:g}s")
        except httpx.HTTPError as exc:
            return done(None, None, f"{type(exc).__name__}: {exc}")
    error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return done(response.status_code, snippet, error)


async def _record(db: Database, outcomes: list[Outcome], settings: Settings, now: datetime) -> None:
    cfg = settings.webhooks
    policy = RetryPolicy(cfg.max_attempts, cfg.backoff_base_seconds, cfg.backoff_max_seconds)
    async with db.transaction() as session:
        for outcome in outcomes:
            job = outcome.job
            attempts = job.attempts + 1
            session.add(
                WebhookAttempt(
                    delivery_id=job.delivery_id,
                    status_code=outcome.status_code,
                    latency_ms=outcome.latency_ms,
                    response_snippet=outcome.snippet,
                    error=outcome.error,
                )
            )
            values: dict[str, Any] = {
                "attempts": attempts,
                "last_status_code": outcome.status_code,
                "last_error": outcome.error,
            }
            if outcome.ok:
                values.update(
                    status=DeliveryStatus.DELIVERED, delivered_at=utcnow(), next_attempt_at=None
                )
            else:
                retry_at = policy.next_attempt(attempts, now)
                values.update(
                    status=DeliveryStatus.DEAD if retry_at is None else DeliveryStatus.RETRYING,
                    next_attempt_at=retry_at,
                )
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == job.delivery_id)
                .values(**values)
            )
            endpoint = await session.get(WebhookEndpoint, job.endpoint_id, with_for_update=True)
            if endpoint is None:
                continue
            if outcome.ok:
                endpoint.failure_count = 0
                continue
            endpoint.failure_count += 1
            if endpoint.active and endpoint.failure_count >= cfg.disable_after_failures:
                endpoint.active = False
                endpoint.disabled_at = utcnow()
                endpoint.disabled_reason = (
                    f"disabled after {endpoint.failure_count} failed attempts in a row; "
                    f"last: {outcome.error}"
                )[:500]
                log.warning("webhook endpoint disabled", extra={"endpoint": str(endpoint.id)})


async def deliver_due(db: Database, settings: Settings, now: datetime | None = None) -> int:
    """Send one batch of due deliveries; returns how many attempts were made."""
    moment = now or utcnow()
    cfg = settings.webhooks
    lease = timedelta(seconds=cfg.timeout_seconds + LEASE_MARGIN_SECONDS)
    jobs = await _claim(db, moment, cfg.concurrency, lease)
    if not jobs:
        return 0
    timeout = httpx.Timeout(cfg.timeout_seconds)
    async with httpx.AsyncClient(
        timeout=timeout, follow_redirects=False, trust_env=False
    ) as client:
        outcomes = await asyncio.gather(*(_send(client, job, settings) for job in jobs))
    await _record(db, list(outcomes), settings, moment)
    return len(jobs)


async def deliver_all_due(db: Database, settings: Settings, now: datetime | None = None) -> int:
    """Send batches until nothing is due (failed deliveries wait for their backoff)."""
    total = 0
    while sent := await deliver_due(db, settings, now):
        total += sent
    return total
