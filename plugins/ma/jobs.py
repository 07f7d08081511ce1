"""MA's durable jobs and their schedules."""

from unicrm.core.jobs.contracts import JobType, Schedule
from unicrm.plugins.ma.services.scoring import decay_scores

JOBS = [
    JobType("ma.decay_scores", decay_scores, max_attempts=3),
    Schedule("ma.nightly_decay", "30 2 * * *", job="ma.decay_scores"),
]
