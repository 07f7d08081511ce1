"""The process's messaging setup: its settings and its channels by name.

Configured when the process state is created (server, worker, tests), because job handlers
and ``send`` get a session only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from unicrm.core.config import MessagingSettings, Settings
from unicrm.core.messaging.channels import Channel, index_channels
from unicrm.core.messaging.email import email_channel


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: MessagingSettings
    secret: bytes
    timezone: str
    channels: Mapping[str, Channel]


_current: Runtime | None = None


def configure(settings: Settings, contributed: Mapping[str, Iterable[Any]]) -> Runtime:
    """Validate the plugins' channels and make them, with ``settings``, the process's."""
    global _current
    messaging = settings.messaging
    channels = index_channels(email_channel(messaging.smtp), contributed)
    _current = Runtime(
        settings=messaging,
        secret=settings.secret_key.get_secret_value().encode(),
        timezone=settings.timezone,
        channels=channels,
    )
    return _current


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("messaging is not configured: create the process state first")
    return _current
