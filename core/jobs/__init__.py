"""Durable jobs: a queue table, workers that claim from it, and a cron scheduler.

``queue.enqueue`` adds a job inside the caller's transaction; ``worker.Worker`` claims and
runs jobs with leases, retries and dead letters; ``scheduler.Scheduler`` enqueues each due
slot of the registered ``Schedule``s. Job types and schedules come from the ``register_jobs``
hook (``contracts``). See docs/jobs.md.
"""
