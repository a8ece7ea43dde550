"""`manage.py restore FOLDER`: a backup made by `manage.py backup` into the database
DATABASE_URL names and the folder MEDIA_ROOT names, both empty (helpdesk.backup). Create the
database first (createdb), then run `manage.py migrate` after: it has nothing to do unless
the code is newer than the backup."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from helpdesk.backup import BackupError, Target, backup_restore


class Command(BaseCommand):
    help = "Restore a backup FOLDER into the (empty) database and media folder configured."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options) -> None:
        try:
            manifest = backup_restore(
                source=folder,
                target=Target.from_settings(settings.DATABASES["default"]),
                media_root=Path(settings.MEDIA_ROOT),
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored the backup of {manifest['created_at']} ({manifest['media']['files']} files)."
        )
