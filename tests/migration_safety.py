"""What a migration may do to a live PostgreSQL database with ten million tickets in it.

`problems(sql)` reads the SQL of one migration (`manage.py sqlmigrate`) and names each
statement that would rewrite a table or hold a lock for as long as a table takes to read. A
table the same migration creates is new and empty: anything goes on it. The rules and how to
do each thing instead are in the README ("Migrations on a live database"). A statement that
is safe for a reason the rules cannot see (say, widening a varchar, which PostgreSQL does
without a rewrite) is written as RunSQL with a `/* safe: why */` comment in it, for review.
"""

from __future__ import annotations

import re

CREATE_TABLE = re.compile(r'^CREATE TABLE "(?P<table>[^"]+)"', re.I)
ALTER_TABLE = re.compile(r'^ALTER TABLE (?:ONLY )?"(?P<table>[^"]+)"', re.I)
CREATE_INDEX = re.compile(
    r'^CREATE (?:UNIQUE )?INDEX (?P<concurrently>CONCURRENTLY )?(?:IF NOT EXISTS )?"[^"]+" '
    r'ON "(?P<table>[^"]+)"',
    re.I,
)
# Defaults PostgreSQL cannot store once for all rows: adding a column with one rewrites.
VOLATILE_DEFAULT = re.compile(
    r"DEFAULT\s*\(?\s*(STATEMENT_TIMESTAMP|CLOCK_TIMESTAMP|NOW|RANDOM|GEN_RANDOM_UUID)\s*\(",
    re.I,
)

SAFE_MARK = "/* safe:"

RULES: list[tuple[re.Pattern, str]] = [
    (
        re.compile(r"\bALTER COLUMN \"[^\"]+\" TYPE\b", re.I),
        "changes a column's type: rewrites the table under an exclusive lock",
    ),
    (
        re.compile(r"\bALTER COLUMN \"[^\"]+\" SET NOT NULL\b", re.I),
        "sets NOT NULL: reads the whole table under an exclusive lock",
    ),
    (
        re.compile(r"\bADD COLUMN \"[^\"]+\" [^,;]*\bNOT NULL\b", re.I),
        "adds a NOT NULL column",  # refined below: allowed with a constant default
    ),
    (
        re.compile(
            r"\bADD CONSTRAINT \"[^\"]+\" (CHECK|FOREIGN KEY)\b(?![^;]*\bNOT VALID\b)", re.I
        ),
        "adds a check or foreign key without NOT VALID: reads the whole table under a lock",
    ),
    (
        re.compile(r"\bADD COLUMN \"[^\"]+\" [^;]*\bREFERENCES\b", re.I),
        "adds a foreign key column: checks the whole table under a lock (see README)",
    ),
    (
        re.compile(r"\bADD CONSTRAINT \"[^\"]+\" (UNIQUE|PRIMARY KEY|EXCLUDE)\b", re.I),
        "adds a unique constraint: builds its index under a lock that blocks writes",
    ),
    (
        re.compile(r"\bSET (LOGGED|UNLOGGED|TABLESPACE)\b|\bCLUSTER\b|\bVACUUM FULL\b", re.I),
        "rewrites the table",
    ),
]


def statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [" ".join(part.split()) for part in "\n".join(lines).split(";") if part.strip()]


def problems(sql: str) -> list[str]:
    found = []
    parts = statements(sql)
    new_tables = {m["table"] for part in parts if (m := CREATE_TABLE.match(part))}
    for part in parts:
        if SAFE_MARK in part:
            continue
        index = CREATE_INDEX.match(part)
        if index:
            if not index["concurrently"] and index["table"] not in new_tables:
                found.append(f"builds an index without CONCURRENTLY, blocking writes: {part}")
            continue
        altered = ALTER_TABLE.match(part)
        if not altered or altered["table"] in new_tables:
            continue
        if VOLATILE_DEFAULT.search(part) and "ADD COLUMN" in part.upper():
            found.append(f"adds a column with a volatile default: rewrites the table: {part}")
        for pattern, why in RULES:
            match = pattern.search(part)
            if not match:
                continue
            if why.startswith("adds a NOT NULL column") and " DEFAULT " in match.group(0).upper():
                continue  # a constant default: stored once, no rewrite (PostgreSQL 11+)
            found.append(f"{why}: {part}")
    return found
