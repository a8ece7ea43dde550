from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Security log receivers (sign-in, sign-out, failures, lockouts) and the deployment
        # checks of the project's own settings.
        from helpdesk import checks  # noqa: F401

        from . import signals  # noqa: F401
