"""`manage.py backup FOLDER`: the database (pg_dump) and the attachments (MEDIA_ROOT) into a
new folder, with a manifest of SHA-256 sums (helpdesk.backup; README, "Backup and restore")."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from helpdesk.backup import BackupError, Target, backup_create


class Command(BaseCommand):
    help = "Back up the database and the attachments into FOLDER (new or empty)."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options) -> None:
        try:
            manifest = backup_create(
                destination=folder,
                target=Target.from_settings(settings.DATABASES["default"]),
                media_root=Path(settings.MEDIA_ROOT),
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Backed up the database and {manifest['media']['files']} files to {folder}."
        )
