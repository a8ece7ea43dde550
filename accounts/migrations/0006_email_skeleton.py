"""Keep what each address looks like (accounts.identity.skeleton) beside it, so that a new
account whose address merely looks like an existing one's is refused.

The skeleton of the time is frozen below: a later change to accounts.identity must not change
what this migration wrote. Rows are filled in one pass; existing look-alike pairs stay as they
are (nothing is unique about the column).
"""

import contextlib
import unicodedata

from django.db import migrations, models

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
    local, _at, domain = email.rpartition("@")
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("ascii").decode("idna")
    decomposed = unicodedata.normalize("NFKD", f"{local}@{domain}")
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFKC", bare.translate(LOOK_ALIKES))


def fill_skeletons(apps, schema_editor) -> None:
    User = apps.get_model("accounts", "User")
    users = list(User.objects.only("pk", "email"))
    for user in users:
        user.email_skeleton = skeleton(user.email)
    User.objects.bulk_update(users, ["email_skeleton"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_clean_display_names")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_skeleton",
            field=models.CharField(db_index=True, default="", editable=False, max_length=508),
            preserve_default=False,
        ),
        migrations.RunPython(fill_skeletons, migrations.RunPython.noop),
    ]
