"""The one spelling of an e-mail address: the login, the lockout and throttle key, the stored
value. Every path that takes an address from outside (sign-in, sign-up, profile, password
reset, admin, the create_user command) passes it through normalize_email and then compares by
exact equality, never by a database's idea of case (PostgreSQL's UPPER() maps the dotless i,
U+0131, to "I", Python's casefold() does not: two rules for one account let each spelling have
its own lockout)."""

import contextlib
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


# Letters that survive fold() and mark-stripping yet read as a Latin letter: dotless i and j,
# and the Cyrillic and Greek letters drawn like Latin ones (written as escapes, so that this
# file shows which is which). A small, kept list in the spirit of Unicode's confusables
# (UTS #39), not all of it.
LOOK_ALIKES = str.maketrans(
    {
        "\u0131": "i",  # latin small letter dotless i
        "\u0237": "j",  # latin small letter dotless j
        "\u0269": "i",  # latin small letter iota
        "\u0261": "g",  # latin small letter script g
        "\u0430": "a",  # cyrillic small letter a
        "\u0435": "e",  # cyrillic small letter ie
        "\u043e": "o",  # cyrillic small letter o
        "\u0440": "p",  # cyrillic small letter er
        "\u0441": "c",  # cyrillic small letter es
        "\u0443": "y",  # cyrillic small letter u
        "\u0445": "x",  # cyrillic small letter ha
        "\u0456": "i",  # cyrillic small letter byelorussian-ukrainian i
        "\u0458": "j",  # cyrillic small letter je
        "\u0455": "s",  # cyrillic small letter dze
        "\u0501": "d",  # cyrillic small letter komi de
        "\u04bb": "h",  # cyrillic small letter shha
        "\u051b": "q",  # cyrillic small letter qa
        "\u051d": "w",  # cyrillic small letter we
        "\u0475": "v",  # cyrillic small letter izhitsa
        "\u03b1": "a",  # greek small letter alpha
        "\u03bf": "o",  # greek small letter omicron
        "\u03c1": "p",  # greek small letter rho
        "\u03b9": "i",  # greek small letter iota
        "\u03ba": "k",  # greek small letter kappa
        "\u03bd": "v",  # greek small letter nu
        "\u03c5": "u",  # greek small letter upsilon
    }
)


def skeleton(email: str) -> str:
    """What a canonical address looks like to a reader: marks dropped ("é" → "e") and
    look-alike letters read as the Latin one ("v\u0131ctim" → "victim"). Two accounts whose
    addresses share a skeleton could be told apart only by someone who knows to look, so a new
    address may not share an existing account's skeleton. Expects normalize_email's output;
    an IDNA domain is read as the letters it spells ("ex\u0430mple.com" with a Cyrillic a)."""
    local, _at, domain = email.rpartition("@")
    with contextlib.suppress(UnicodeError):  # "xn--…" reads as the letters it spells
        domain = domain.encode("ascii").decode("idna")
    decomposed = unicodedata.normalize("NFKD", f"{local}@{domain}")
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFKC", bare.translate(LOOK_ALIKES))
