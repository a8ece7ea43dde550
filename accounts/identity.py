"""The one spelling of an e-mail address: the login, the lockout and throttle key, the stored
value. Every path that takes an address from outside (sign-in, sign-up, profile, password
reset, admin, the create_user command) passes it through normalize_email and then compares by
exact equality, never by a database's idea of case (PostgreSQL's UPPER() maps the dotless i,
U+0131, to "I", Python's casefold() does not: two rules for one account let each spelling have
its own lockout)."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

INVALID_EMAIL = _("Enter a valid e-mail address.")


def fold(text: str) -> str:
    """NFKC, then str.casefold(), then NFKC again (folding can undo the normal form), e.g.
    full-width letters to ASCII, the Kelvin sign (U+212A) to "k", the long s (U+017F) to "s",
    "ß" to "ss"."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _ascii_domain(domain: str) -> str:
    """The domain in IDNA (A-label) form; a fake or malformed A-label is refused.

    Python's own IDNA codec, as Django's EmailValidator and mail headers use it.
    """
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
        # Decoding checks each "xn--" label round-trips; fold what it spells and encode again.
        return fold(ascii_domain.encode("ascii").decode("idna")).encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValidationError(INVALID_EMAIL, code="invalid") from error


def normalize_email(email: str) -> str:
    """The canonical form of an e-mail address: surrounding whitespace stripped, NFKC, case
    folded with str.casefold(), the domain IDNA-encoded.

    "  Victim.Li@Example.COM", "victim.li@EXAMPLE.com" and the same in full-width letters are
    one address; with a dotless i (U+0131) it is another, as casefold() keeps that letter.
    Raises ValidationError (code "invalid") when there is no local part and domain or the
    domain cannot be IDNA-encoded.
    """
    local, at, domain = fold(email).strip().rpartition("@")
    if not (local and at and domain):
        raise ValidationError(INVALID_EMAIL, code="invalid")
    return f"{local}@{_ascii_domain(domain)}"
