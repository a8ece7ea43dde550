"""Reports over tickets, in one package:

- filters: which tickets a report covers (ReportFilters) and the default range;
- aggregates: the numbers, counted in the database from TicketMetrics (build, backlog, …);
- csv_export: the same numbers, and one row per ticket, as CSV;
- snapshots: big reports built in the background and served from a stored snapshot.

The names most callers need are importable from the package itself.
"""

from .aggregates import (
    DEFINITIONS,
    DURATIONS,
    GROUPINGS,
    BreakdownRow,
    Report,
    Stat,
    backlog,
    build,
    cohort,
)
from .filters import DEFAULT_DAYS, ReportFilters

__all__ = [
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
]
