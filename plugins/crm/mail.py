"""The inbound SMTP server (aiosmtpd): every message it receives becomes a case or a reply to
one (services/inbound.py). Started with the server when ``crm.inbound_smtp_port`` is set."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.smtp import SMTP

from unicrm.core.errors import DomainError
from unicrm.core.state import AppState
from unicrm.plugins.crm.services.inbound import receive_email

log = logging.getLogger("unicrm.crm.mail")


class InboundMail:
    """aiosmtpd handler: one transaction per message; a message that cannot become a case is
    refused (550) so the sending server reports it, and nothing is written."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        settings = self.state.settings
        raw = envelope.original_content or envelope.content
        try:
            async with self.state.db.transaction() as db:
                await receive_email(
                    db, raw, settings.zone, settings.crm.reopen_days, settings.crm.inbound_team
                )
        except DomainError as error:
            return f"550 {error}"
        except Exception:
            log.exception("inbound e-mail failed")
            return "451 try again later"
        await self.state.events.after_commit()
        return "250 OK"


async def serve(state: AppState, host: str, port: int) -> asyncio.Server:
    """Listen for e-mail on the running event loop (the one the database is used from)."""
    handler = InboundMail(state)
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: SMTP(handler, hostname=host), host=host, port=port)
