"""`sayso stats`: the dashboard's figures (`Workflow.stats()`) as text, CSV rows or JSON.

CSV has one row per figure and key: `figure,key,count,median_hours,p90_hours,value`
(time-to-approval rows fill count, median and p90; the others fill value).
"""

from __future__ import annotations

import csv
import io
from typing import Any

TIMES = ("time_to_approval_by_topic", "time_to_approval_by_owner")
COUNTS = ("sla_breaches_by_owner", "escalations_by_owner", "pending_by_escalation_level")
COLUMNS = ("figure", "key", "count", "median_hours", "p90_hours", "value")
TITLES = {
    "time_to_approval_by_topic": "Time to approval by topic (hours)",
    "time_to_approval_by_owner": "Time to approval by owner (hours)",
    "sla_breaches_by_owner": "SLA breaches (escalated at least once) by owner",
    "escalations_by_owner": "Escalations reached, by owner",
    "pending_by_escalation_level": "Pending, by escalation level reached",
}


def rows(stats: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for figure in TIMES:
        for key, s in stats[figure].items():
            out.append(
                {
                    "figure": figure,
                    "key": key,
                    "count": s["count"],
                    "median_hours": s["median_hours"],
                    "p90_hours": s["p90_hours"],
                    "value": "",
                }
            )
    for figure in COUNTS:
        for key, value in stats[figure].items():
            out.append(
                {
                    "figure": figure,
                    "key": str(key),
                    "count": "",
                    "median_hours": "",
                    "p90_hours": "",
                    "value": value,
                }
            )
    return out


def to_csv(stats: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(stats))
    return buffer.getvalue()


def to_text(stats: dict[str, Any]) -> str:
    since = f" (submitted since {stats['since']})" if stats.get("since") else ""
    lines = [f"As of {stats['as_of']}{since}"]
    for figure in (*TIMES, *COUNTS):
        lines.append("")
        lines.append(TITLES[figure] + ":")
        entries = stats[figure]
        if not entries:
            lines.append("  none")
        for key, value in entries.items():
            if figure in TIMES:
                lines.append(
                    f"  {key}: median {value['median_hours']}, p90 {value['p90_hours']} "
                    f"({value['count']} post{'s' if value['count'] != 1 else ''})"
                )
            else:
                lines.append(f"  {'level ' if figure.startswith('pending') else ''}{key}: {value}")
    return "\n".join(lines)
