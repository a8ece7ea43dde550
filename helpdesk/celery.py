import os
from datetime import timedelta

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Jobs that run this seldom or less often also run once when beat starts: beat counts an
# interval from its own start, so a restart would otherwise put them off by a whole period.
RUN_AT_START_FROM = timedelta(hours=1)


def jobs_to_run_at_start(schedule: dict) -> list[str]:
    """The tasks of the hourly, daily (and rarer) entries of a beat schedule."""
    tasks = []
    for entry in schedule.values():
        every = entry["schedule"]
        every = every if isinstance(every, timedelta) else getattr(every, "run_every", every)
        seconds = every.total_seconds() if isinstance(every, timedelta) else float(every)
        if seconds >= RUN_AT_START_FROM.total_seconds():
            tasks.append(entry["task"])
    return tasks


@beat_init.connect
def run_seldom_jobs_at_start(sender, **_kwargs) -> None:
    # Each job re-checks its condition under the row lock, so an extra run does no harm.
    for task in jobs_to_run_at_start(sender.app.conf.beat_schedule):
        sender.app.send_task(task)
