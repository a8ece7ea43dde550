"""`changepassword EMAIL`: Django's command, through the services. The account is found by its
canonical address, and the new password is followed by what follows every new password
(accounts.services.user_password_set: API tokens revoked, the owner told). Overrides
django.contrib.auth's command of the same name (accounts is listed before it)."""

from django.contrib.auth.management.commands import changepassword
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from accounts.models import User
from accounts.services import user_password_change

MAX_TRIES = 3


class Command(changepassword.Command):
    help = "Set a user's password (prompted for); their API tokens are revoked."

    def handle(self, *args, username=None, **options):
        if not username:
            raise CommandError("Name the account by its e-mail address.")
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist as error:
            raise CommandError(f"No account has the address {username!r}.") from error
        self.stdout.write(f"Changing the password of {user.email}")
        for _attempt in range(MAX_TRIES):
            password = self._get_pass()
            if password != self._get_pass("Password (again): "):
                self.stderr.write("The passwords do not match. Try again.")
                continue
            try:
                revoked = user_password_change(
                    user=user, password=password, how="password_set_by_manager"
                )
            except ValidationError as error:
                self.stderr.write("\n".join(error.messages))
                continue
            return f"Password changed for {user.email}; {revoked} API token(s) revoked."
        raise CommandError(f"No password set for {user.email} after {MAX_TRIES} attempts.")
