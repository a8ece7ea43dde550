"""Store every e-mail address in its canonical form (accounts.identity.normalize_email, as
frozen below).

Sign-in, the lockout, password reset and sign-up now match the canonical address exactly, so a
row still holding another spelling (full-width letters, a Kelvin sign, or "Straße@…" written
when addresses were only lower-cased) would no longer be found: each row is rewritten
canonical.

Collisions are reported, never merged: when two or more rows spell one canonical address, none
of them is changed, and their ids are printed and logged. Merging is a person's decision
(whose tickets, whose password), and refusing to migrate would hold back this fix for all the
other accounts. Left as they are, such rows fail closed: a row holding a non-canonical
spelling cannot sign in or receive a reset link until a manager changes its address in the
admin; a row already holding the canonical spelling goes on working. A stored address that
cannot be made canonical at all (a malformed domain) is reported and left the same way.

The unique constraints stay as they are: the column's own unique rule is exact on canonical
values, and the one on Lower(email) still refuses case variants written around the services.
"""

import logging
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, migrations, transaction

log = logging.getLogger("accounts.migrations")


# accounts.identity.normalize_email as it stood when this migration was written, frozen: a
# later change to the live rule must not change what this migration does to a database.
def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _ascii_domain(domain: str) -> str:
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
        return fold(ascii_domain.encode("ascii").decode("idna")).encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValidationError("Enter a valid e-mail address.", code="invalid") from error


def normalize_email(email: str) -> str:
    local, at, domain = fold(email).strip().rpartition("@")
    if not (local and at and domain):
        raise ValidationError("Enter a valid e-mail address.", code="invalid")
    return f"{local}@{_ascii_domain(domain)}"


@dataclass
class Report:
    rewritten: list[int] = field(default_factory=list)
    # canonical address → ids of the rows that spell it (none of them rewritten)
    collisions: dict[str, list[int]] = field(default_factory=dict)
    invalid: list[int] = field(default_factory=list)

    def problems(self) -> list[str]:
        lines = [
            f"users {', '.join(map(str, ids))} all spell {address!r}: left unchanged"
            for address, ids in self.collisions.items()
        ]
        if self.invalid:
            lines.append(
                f"users {', '.join(map(str, self.invalid))}: no canonical form, left unchanged"
            )
        return lines


def canonicalise_emails(apps, schema_editor=None) -> Report:
    """Rewrite each user's address canonical, unless another row spells the same address."""
    User = apps.get_model("accounts", "User")
    by_address: dict[str, list[tuple[int, str]]] = {}
    report = Report()
    for pk, email in User.objects.order_by("pk").values_list("pk", "email"):
        try:
            by_address.setdefault(normalize_email(email), []).append((pk, email))
        except ValidationError:
            report.invalid.append(pk)
    for address, rows in by_address.items():
        if len(rows) > 1:
            report.collisions[address] = [pk for pk, _email in rows]
            continue
        [(pk, email)] = rows
        if email == address:
            continue
        try:
            with transaction.atomic():
                User.objects.filter(pk=pk).update(email=address)
        except IntegrityError:
            # Another row's spelling differs only in case (the Lower(email) rule).
            report.collisions[address] = [pk]
        else:
            report.rewritten.append(pk)
    for line in report.problems():
        log.warning("E-mail addresses not made canonical: %s", line)
        print(f"\n  accounts.0004_canonical_email: {line}")
    return report


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_security_policy")]

    operations = [migrations.RunPython(canonicalise_emails, migrations.RunPython.noop)]
