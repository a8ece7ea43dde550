"""Every write on the primary; reads on the replica where helpdesk.replica allows it."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS

from . import replica


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        return replica.alias_for_read()

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS
