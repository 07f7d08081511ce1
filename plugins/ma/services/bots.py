"""Telling machine traffic from people: mail scanners, link checkers, prefetching proxies.

Such hits are stored with ``bot=True`` and a reason, and never count as engagement.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

BOT_AGENT = re.compile(
    r"bot\b|crawler|spider|slurp|preview|scanner|headless|python-|curl/|wget/|go-http-client|"
    r"java/|okhttp|libwww|httpclient|facebookexternalhit|barracuda|mimecast|proofpoint",
    re.IGNORECASE,
)
PREFETCH_HEADERS = (("purpose", "prefetch"), ("sec-purpose", "prefetch"), ("x-moz", "prefetch"))
INSTANT_OPEN = timedelta(seconds=2)
"""An open this soon after the send is a scanner reading the message on delivery."""


def bot_reason(
    headers: Mapping[str, str], sent_at: datetime | None = None, now: datetime | None = None
) -> str | None:
    """Why a hit looks automated, or None for what looks like a person."""
    agent = headers.get("user-agent", "")
    if not agent.strip():
        return "no user agent"
    if BOT_AGENT.search(agent):
        return "automated user agent"
    for header, value in PREFETCH_HEADERS:
        if value in headers.get(header, "").lower():
            return "prefetch"
    if sent_at is not None and now is not None and now - sent_at < INSTANT_OPEN:
        return "opened on delivery"
    return None
