"""Checks of the help desk's own settings (`manage.py check`, some only with `--deploy`)."""

from django.conf import settings
from django.core.checks import Info, Tags, Warning, register

SITE_URL_NOT_HTTPS = "helpdesk.W001"


@register(Tags.security, deploy=True)
def site_url_is_https(app_configs, **kwargs) -> list[Warning]:
    """Links in e-mails (password resets among them) must not send people to plain http."""
    if settings.DEBUG or settings.SITE_URL.lower().startswith("https://"):
        return []
    return [
        Warning(
            f"SITE_URL is {settings.SITE_URL!r}: links in e-mails would use plain http.",
            hint="Set SITE_URL to the https address people use, e.g. https://helpdesk.example.com.",
            id=SITE_URL_NOT_HTTPS,
        )
    ]


EMAIL_TIMEOUT_TOO_LONG = "helpdesk.W002"


@register(Tags.compatibility)
def email_timeout_fits_the_task(app_configs, **kwargs) -> list[Warning]:
    """An SMTP step that may outlast the delivery task's soft time limit would be cut off by
    it instead of timing out cleanly."""
    timeout, limit = settings.EMAIL_TIMEOUT, settings.CELERY_TASK_SOFT_TIME_LIMIT
    if timeout < limit:
        return []
    return [
        Warning(
            f"EMAIL_TIMEOUT ({timeout:g} s) is not shorter than the delivery "
            f"task's soft time limit ({limit} s).",
            hint="Set EMAIL_TIMEOUT (or ?timeout= in EMAIL_URL) to, say, 30 seconds.",
            id=EMAIL_TIMEOUT_TOO_LONG,
        )
    ]


INBOUND_OFF = "helpdesk.I001"


@register(Tags.compatibility)
def inbound_mail_state(app_configs, **kwargs) -> list[Info]:
    """Said when the app starts (runserver, migrate, check): whether mail is read at all."""
    if settings.INBOUND_ADDRESS:
        return []
    return [
        Info(
            "Inbound e-mail is off: INBOUND_ADDRESS is not set, so nobody can write in by "
            "e-mail and replies to notifications are not read.",
            hint="Set INBOUND_ADDRESS and INBOUND_IMAP_URL (README, 'E-mail in').",
            id=INBOUND_OFF,
        )
    ]
