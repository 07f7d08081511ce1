"""What register_jobs may return, checked when the plugin set starts."""

from __future__ import annotations

from typing import Any

import pytest

from unicrm.core.errors import PluginError
from unicrm.core.jobs.contracts import JobRun, JobType, Schedule
from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import PluginManifest
from unicrm.core.plugins.manager import build_manager
from unicrm.core.plugins.registry import build_registry


async def handler(job: JobRun, session: Any) -> None:
    return None


class JobsPlugin:
    def __init__(self, name: str, *items: Any) -> None:
        self.name = name
        self.items = list(items)

    @hookimpl
    def plugin_manifest(self) -> PluginManifest:
        return PluginManifest(name=self.name, version="1", title=self.name)

    @hookimpl
    def register_jobs(self) -> list[Any]:
        return self.items


def registry_of(*plugins: JobsPlugin):
    return build_registry(build_manager({p.name: p for p in plugins}))


def test_job_types_and_schedules_are_indexed_by_name():
    sweep = JobType("reports.sweep", handler, max_attempts=2)
    nightly = Schedule("reports.nightly", "0 1 * * *", job="reports.sweep")

    registry = registry_of(JobsPlugin("reports", sweep, nightly))

    assert registry.job_types["reports.sweep"] is sweep
    assert registry.schedules["reports.nightly"] is nightly
    assert "core.jobs_cleanup" in registry.job_types  # core's own


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: JobType("Sweep", handler), "must look like 'plugin.job_name'"),
        (lambda: JobType("reports.sweep", "nope"), "handler is not callable"),
        (lambda: JobType("reports.sweep", handler, max_attempts=0), "max_attempts"),
        (lambda: JobType("reports.sweep", handler, timeout=0), "must be positive"),
        (lambda: Schedule("reports.nightly", "0 25 * * *", job="x.y"), "hour: 25 is outside"),
        (lambda: Schedule("nightly", "@daily", job="x.y"), "must look like"),
        (
            lambda: Schedule("reports.nightly", "@daily", job="x.y", timezone="Mars/Base"),
            "unknown time zone 'Mars/Base'",
        ),
    ],
    ids=[
        "bad-name",
        "no-handler",
        "no-attempts",
        "no-timeout",
        "bad-cron",
        "bad-schedule-name",
        "bad-zone",
    ],
)
def test_a_malformed_declaration_is_a_plugin_error(make, message):
    with pytest.raises(PluginError, match=message):
        make()


def test_a_schedule_of_an_unknown_job_type_stops_the_start():
    plugin = JobsPlugin("reports", Schedule("reports.nightly", "@daily", job="reports.missing"))

    with pytest.raises(PluginError, match=r"runs unknown job type 'reports\.missing'"):
        registry_of(plugin)


def test_a_job_type_declared_twice_stops_the_start():
    one = JobsPlugin("reports", JobType("shared.sweep", handler))
    two = JobsPlugin("billing", JobType("shared.sweep", handler))

    with pytest.raises(PluginError, match=r"'shared\.sweep' twice"):
        registry_of(one, two)


def test_anything_else_than_a_job_type_or_schedule_stops_the_start():
    plugin = JobsPlugin("reports", {"name": "reports.sweep", "every_seconds": 60})

    with pytest.raises(PluginError, match="register_jobs needs JobType or Schedule"):
        registry_of(plugin)
