"""The channel contract: what ``register_channels()`` returns, and the provider adapters.

A channel names the kind of address it needs and the consent channel that governs it, and
carries a provider adapter whose ``send`` delivers one rendered message. Email is core's own
channel (``email.EmailProvider`` over SMTP); SMS, LINE and postal mail come from plugins,
usually configuring the generic ``HttpJsonProvider``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import httpx

from unicrm.core.errors import PluginError
from unicrm.core.graph.consents.models import ConsentChannel

CHANNEL_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")
EMAIL = "email"


class AddressKind(StrEnum):
    EMAIL = "email"  # the customer's primary (else first) e-mail address
    PHONE = "phone"  # the primary (else first) phone number, E.164
    LINE = "line"  # the customer's LINE user id (identity source "line")
    POSTAL = "postal"  # the primary (else first) postal address, one line per part


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One rendered message for a provider. ``message_id`` doubles as the idempotency key."""

    message_id: str
    channel: str
    to: str
    text: str
    subject: str | None = None
    html: str | None = None
    unsubscribe_url: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a provider answered: its id for the message, used to match status callbacks."""

    provider_id: str | None = None


class DeliveryError(Exception):
    """A provider refused or failed the message. ``permanent`` errors are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class ProviderAdapter(Protocol):
    async def send(self, message: OutgoingMessage) -> Delivery:
        """Deliver ``message``; raise ``DeliveryError`` on failure."""
        ...


@dataclass(frozen=True, slots=True)
class Channel:
    """A message channel: ``name`` (``sms``), the address it needs, the consent channel
    marketing messages on it require, and the provider adapter that delivers them."""

    name: str
    title: str
    address_kind: AddressKind
    consent_channel: ConsentChannel
    adapter: ProviderAdapter

    def __post_init__(self) -> None:
        if not CHANNEL_NAME.match(self.name):
            raise PluginError(f"channel {self.name!r}: names look like 'sms' or 'line_oa'")
        if not callable(getattr(self.adapter, "send", None)):
            raise PluginError(f"channel {self.name!r}: its adapter has no send method")
        if self.consent_channel is ConsentChannel.ANY:
            raise PluginError(f"channel {self.name!r}: name the consent channel it needs")


def index_channels(core: Channel, contributed: Mapping[str, Iterable[Any]]) -> dict[str, Channel]:
    """Core's email channel and every plugin's, by name; a bad or duplicate one is a
    ``PluginError`` naming the plugin."""
    channels = {core.name: core}
    owners = {core.name: "core"}
    for plugin, items in contributed.items():
        for item in items:
            if not isinstance(item, Channel):
                raise PluginError(f"plugin {plugin!r}: register_channels needs Channel objects")
            if item.name in channels:
                raise PluginError(
                    f"channel {item.name!r} is registered by {owners[item.name]!r} and {plugin!r}"
                )
            channels[item.name], owners[item.name] = item, plugin
    return channels


RETRY_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True, slots=True)
class HttpJsonProvider:
    """A provider reached by ``POST url`` with a JSON body; channel plugins configure one.

    The body is ``{"message_id", "channel", "to", "text", "subject", "html", "metadata"}``;
    the ``Idempotency-Key`` header carries the message id. A 2xx answer is JSON whose
    ``id_field`` is the provider's id. Timeouts, connection errors, 5xx, 408, 425 and 429 are
    retried by the delivery job; other 4xx fail the message at once.
    """

    url: str
    token: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 10.0
    id_field: str = "id"

    async def send(self, message: OutgoingMessage) -> Delivery:
        headers = {"Idempotency-Key": message.message_id, **self.headers}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = {
            "message_id": message.message_id,
            "channel": message.channel,
            "to": message.to,
            "text": message.text,
            "subject": message.subject,
            "html": message.html,
            "metadata": dict(message.metadata),
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout_seconds) as client:
                response = await client.post(self.url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"provider unreachable: {type(exc).__name__}") from None
        if response.status_code >= 500 or response.status_code in RETRY_STATUSES:
            raise DeliveryError(f"provider answered {response.status_code}")
        if response.status_code >= 400:
            raise DeliveryError(
                f"provider refused the message: {response.status_code} {response.text[:200]}",
                permanent=True,
            )
        try:
            provider_id = response.json().get(self.id_field)
        except (ValueError, AttributeError):
            provider_id = None
        return Delivery(provider_id=None if provider_id is None else str(provider_id))
