"""Back up a help desk (its database and its attachments) and restore it into an empty one.

A backup is a folder: `database.dump` (pg_dump's custom format), `media.tar` (MEDIA_ROOT as
it was) and `manifest.json` (what each file is, with its SHA-256). The database is dumped
first, then the files: every file a row of the dump names was written before that row, and
attachments are never deleted while a row names them, so each is in the tarball. Files
written after the dump are orphans, which the daily sweep removes.

Restoring checks the manifest, refuses a database that has any table or a media folder that
has any file, then restores the dump in one transaction and unpacks the files. The server
the backup is restored to must run the same or a newer PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2

DATABASE_FILE = "database.dump"
MEDIA_FILE = "media.tar"
MANIFEST_FILE = "manifest.json"
FORMAT = 1


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Target:
    """A PostgreSQL database as libpq names it; the password travels in the environment,
    never on a command line."""

    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def from_settings(cls, database: dict[str, Any]) -> Target:
        if "postgresql" not in database["ENGINE"]:
            raise BackupError("backups need PostgreSQL (DATABASE_URL=postgres://…)")
        return cls(
            name=database["NAME"],
            host=database.get("HOST") or "",
            port=str(database.get("PORT") or ""),
            user=database.get("USER") or "",
            password=database.get("PASSWORD") or "",
        )

    def args(self) -> list[str]:
        args = ["--dbname", self.name]
        for flag, value in (
            ("--host", self.host),
            ("--port", self.port),
            ("--username", self.user),
        ):
            if value:
                args += [flag, value]
        return args

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def connect(self):
        return psycopg2.connect(
            dbname=self.name,
            host=self.host or None,
            port=self.port or None,
            user=self.user or None,
            password=self.password or None,
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run(command: list[str], *, target: Target) -> None:
    try:
        # A fixed program (pg_dump, pg_restore) with arguments from settings, no shell.
        subprocess.run(command, check=True, capture_output=True, env=target.env())  # noqa: S603
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)") from error
    except subprocess.CalledProcessError as error:
        message = error.stderr.decode(errors="replace").strip()
        raise BackupError(f"{Path(command[0]).name} failed: {message}") from error


def backup_create(*, destination: Path, target: Target, media_root: Path) -> dict:
    """Write a backup into `destination` (a new or empty folder); returns the manifest."""
    destination.mkdir(parents=True, exist_ok=True)
    if any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty")
    dump = destination / DATABASE_FILE
    _run(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--file",
            str(dump),
            *target.args(),
        ],
        target=target,
    )
    media = destination / MEDIA_FILE
    files = 0
    with tarfile.open(media, "w") as archive:
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    archive.add(path, arcname=str(path.relative_to(media_root)), recursive=False)
                    files += 1
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "database": {"file": DATABASE_FILE, "sha256": _sha256(dump)},
        "media": {"file": MEDIA_FILE, "sha256": _sha256(media), "files": files},
    }
    (destination / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _read_manifest(source: Path) -> dict:
    try:
        manifest = json.loads((source / MANIFEST_FILE).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{source} has no readable {MANIFEST_FILE}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    for part in ("database", "media"):
        path = source / manifest[part]["file"]
        if not path.is_file() or _sha256(path) != manifest[part]["sha256"]:
            raise BackupError(f"{path.name} is missing or damaged (its SHA-256 differs)")
    return manifest


def _tables(target: Target) -> int:
    connection = target.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
            return cursor.fetchone()[0]
    finally:
        connection.close()


def backup_restore(*, source: Path, target: Target, media_root: Path) -> dict:
    """Restore the backup in `source` into an empty database and an empty media folder."""
    manifest = _read_manifest(source)
    if _tables(target):
        raise BackupError(f"database {target.name} is not empty: restore into a new one")
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"{media_root} is not empty: restore into a new folder")
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *target.args(),
            str(source / DATABASE_FILE),
        ],
        target=target,
    )
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / MEDIA_FILE) as archive:
        archive.extractall(media_root, filter="data")  # no paths outside, no devices
    return manifest


def pg_tools_installed() -> bool:
    return all(shutil.which(tool) for tool in ("pg_dump", "pg_restore"))
