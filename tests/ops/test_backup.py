"""Backup and restore (helpdesk.backup, manage.py backup / restore): a help desk restored into
an empty database and media folder has every ticket, history row and file it had."""

import os
import shutil
from pathlib import Path

import psycopg2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from accounts.models import User
from helpdesk.backup import MANIFEST_FILE, MEDIA_FILE, BackupError, Target, backup_restore
from tickets import services, workflow
from tickets.models import Attachment, Comment, FieldChange, StatusHistory, Ticket
from tickets.status import Status

from .conftest import database_alias

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# A PNG's signature, then every byte value: a newline or encoding change would show.
BINARY = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


@pytest.fixture
def pg_tools():
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        from tests.conftest import require_service

        require_service("pg_dump and pg_restore", "install postgresql-client")


def empty_database(server, name: str) -> Target:
    connection = psycopg2.connect(host="127.0.0.1", port=server.port, user="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return Target(name=name, host="127.0.0.1", port=str(server.port), user="postgres")


def rows(alias: str) -> dict:
    return {
        model.__name__: list(model.objects.using(alias).order_by("pk").values())
        for model in (User, Ticket, StatusHistory, FieldChange, Comment, Attachment)
    }


@pytest.fixture
def help_desk_with_history(settings, tmp_path, postgres, make_ticket, customer, agent, manager):
    settings.MEDIA_ROOT = tmp_path / "media"
    resolved = make_ticket(Status.RESOLVED)
    services.comment_add(
        ticket_id=resolved.pk,
        author=customer,
        body="The log from this morning.",
        attachments=[SimpleUploadedFile("vpn.log", b"timeout\r\nagain\n", "text/plain")],
    )
    on_hold = make_ticket(Status.ON_HOLD, subject="Printer on floor 3")
    services.comment_add(
        ticket_id=on_hold.pk,
        author=agent,
        body="Internal: vendor case 4411.",
        internal=True,
        attachments=[SimpleUploadedFile("capture.png", BINARY, "image/png")],
    )
    workflow.transition(ticket_id=on_hold.pk, to=Status.IN_PROGRESS, actor=agent)
    make_ticket(Status.OPEN, subject="New laptop")
    assert StatusHistory.objects.count() > 5
    assert Attachment.objects.count() == 2
    return settings.MEDIA_ROOT


def test_a_backup_restores_every_ticket_history_row_and_file(
    help_desk_with_history, throwaway_postgres, pg_tools, tmp_path
):
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    assert {path.name for path in backup.iterdir()} == {"database.dump", MEDIA_FILE, MANIFEST_FILE}

    restored_media = tmp_path / "restored-media"
    target = empty_database(throwaway_postgres, "restored")
    backup_restore(source=backup, target=target, media_root=restored_media)

    with database_alias("restored", throwaway_postgres.url("restored")):
        assert rows("restored") == rows("default")
        files = list(Attachment.objects.using("restored").order_by("pk"))
        assert len(files) == 2
        for attachment in files:
            original = Path(help_desk_with_history) / attachment.file.name
            copy = restored_media / attachment.file.name
            assert copy.read_bytes() == original.read_bytes()
        assert BINARY in {(restored_media / a.file.name).read_bytes() for a in files}


def test_restore_refuses_a_database_or_folder_that_is_not_empty_and_a_damaged_backup(
    help_desk_with_history, throwaway_postgres, pg_tools, tmp_path
):
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    target = empty_database(throwaway_postgres, "restored")
    backup_restore(source=backup, target=target, media_root=tmp_path / "first")

    with pytest.raises(BackupError, match="database restored is not empty"):
        backup_restore(source=backup, target=target, media_root=tmp_path / "second")
    other = empty_database(throwaway_postgres, "other")
    with pytest.raises(BackupError, match="is not empty"):
        backup_restore(source=backup, target=other, media_root=tmp_path / "first")

    with (backup / "database.dump").open("r+b") as dump:
        dump.seek(os.path.getsize(backup / "database.dump") // 2)
        dump.write(b"\0garbage\0")
    with pytest.raises(BackupError, match=r"database\.dump is missing or damaged"):
        backup_restore(source=backup, target=other, media_root=tmp_path / "third")


def test_backup_refuses_a_folder_that_is_not_empty(help_desk_with_history, pg_tools, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "old.dump").write_bytes(b"x")
    with pytest.raises(CommandError, match="is not empty"):
        call_command("backup", str(tmp_path / "backup"))
