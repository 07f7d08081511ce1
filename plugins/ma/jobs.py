"""MA's durable jobs and their schedules."""

from unicrm.core.jobs.contracts import JobType, Schedule
from unicrm.plugins.ma.services.campaigns import SEND_JOB, send_batch
from unicrm.plugins.ma.services.scoring import decay_scores

JOBS = [
    JobType(SEND_JOB, send_batch, max_attempts=5, timeout=600),
    JobType("ma.decay_scores", decay_scores, max_attempts=3),
    Schedule("ma.nightly_decay", "30 2 * * *", job="ma.decay_scores"),
]
