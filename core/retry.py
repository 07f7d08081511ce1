"""Exponential backoff shared by event deliveries, webhook deliveries and durable jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``max_attempts`` tries; after the n-th failure wait ``base * 2**(n-1)``, at most ``cap``."""

    max_attempts: int
    base_seconds: float
    cap_seconds: float

    def delay(self, attempts: int) -> timedelta:
        seconds = self.base_seconds * 2 ** max(attempts - 1, 0)
        return timedelta(seconds=min(seconds, self.cap_seconds))

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def next_attempt(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after ``attempts`` failures, or None when out of attempts."""
        return None if self.exhausted(attempts) else now + self.delay(attempts)
