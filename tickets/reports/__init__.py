"""Reports over tickets, in one package:

- filters: which tickets a report covers (ReportFilters), the default range, the basis;
- figures: which tickets stand behind each number (the report and the queue's drill-down);
- aggregates: the numbers, counted in the database from TicketMetrics (build, backlog, …);
- csv_export: the same numbers, and one row per ticket, as CSV;
- snapshots: big reports built in the background and served from a stored snapshot.

The names most callers need are importable from the package itself.
"""

from .aggregates import (
    CLOCKS,
    COUNTED,
    DEFINITIONS,
    DURATIONS,
    GROUPINGS,
    BreakdownRow,
    Report,
    Stat,
    backlog,
    build,
    cohort,
    scope,
)
from .filters import BASES, DEFAULT_DAYS, ReportFilters

__all__ = [
    "BASES",
    "CLOCKS",
    "COUNTED",
    "DEFAULT_DAYS",
    "DEFINITIONS",
    "DURATIONS",
    "GROUPINGS",
    "BreakdownRow",
    "Report",
    "ReportFilters",
    "Stat",
    "backlog",
    "build",
    "cohort",
    "scope",
]
