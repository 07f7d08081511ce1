"""Audit entries for clear reads of ``sensitive`` personal data (``audit.sensitive_reads``).

With the setting on, an operation that reads a field declared ``pii="sensitive"`` in clear
(health notes, allergies, ...) gets one ``pii.read`` entry per field after it ran, naming the
objects whose value was read. Masked and denied reads expose nothing and are not recorded.
"""

from __future__ import annotations

import logging
from typing import Any

from unicrm.core.audit.services import MAX_TARGETS, current_trace_id, record

ACTION = "pii.read"

log = logging.getLogger("unicrm.audit")


async def record_sensitive_reads(
    ctx: Any, operation: str | None, reads: dict[str, dict[str, None]]
) -> None:
    """Write the entries of one operation's reads (``coordinate`` → ids of objects read)."""
    request = getattr(ctx, "request", None)
    client = getattr(request, "client", None)
    trace_id = current_trace_id()
    try:
        async with ctx.db.transaction() as session:
            for coordinate, found in reads.items():
                targets = list(found)
                for start in range(0, max(len(targets), 1), MAX_TARGETS):
                    await record(
                        session,
                        actor=ctx.actor,
                        action=ACTION,
                        department=ctx.department,
                        operation=operation,
                        field=coordinate,
                        targets=targets[start : start + MAX_TARGETS],
                        client_address=client.host if client is not None else None,
                        trace_id=trace_id,
                    )
    except Exception:
        log.exception("could not write the audit entries of sensitive reads")
