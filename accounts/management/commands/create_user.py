import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role
from accounts.services import user_create


class Command(BaseCommand):
    help = "Create a customer, agent or manager account."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", required=True, help="Display name.")
        parser.add_argument("--role", choices=Role.values, default=Role.CUSTOMER)
        parser.add_argument(
            "--password",
            help="Password (prompted for when omitted and stdin is a terminal; "
            "otherwise the account gets no usable password until it is reset).",
        )

    def handle(self, *args, email, name, role, password, **options):
        if password is None and self.stdin_is_tty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        try:
            user = user_create(email=email, display_name=name, role=role, password=password)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(self.style.SUCCESS(f"Created {user.role} {user.email}"))

    @staticmethod
    def stdin_is_tty() -> bool:
        import sys

        return sys.stdin is not None and sys.stdin.isatty()
