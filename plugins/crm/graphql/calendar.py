"""The business calendar as GraphQL shows it (the query and the calendar mutations' payloads)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.plugins.crm import models
from unicrm.plugins.crm.graphql.types import BusinessCalendar, Holiday, WorkingInterval
from unicrm.plugins.crm.services import sla


async def calendar_view(session: AsyncSession, zone: ZoneInfo) -> BusinessCalendar:
    calendar = await sla.load_calendar(session, zone)
    holidays = await session.scalars(select(models.Holiday).order_by(models.Holiday.day))
    return BusinessCalendar(
        time_zone=zone.key,
        hours=[
            WorkingInterval(weekday=day, start=start.strftime("%H:%M"), end=end.strftime("%H:%M"))
            for day in sorted(calendar.hours)
            for start, end in calendar.hours[day]
        ],
        holidays=[Holiday(day=h.day, name=h.name) for h in holidays],
    )
