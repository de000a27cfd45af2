"""CSV cells that a spreadsheet shows as text, never runs as a formula.

A post's text, a channel or a reason starting with `=`, `+`, `-`, `@`, a tab or a
carriage return would be read by Excel, LibreOffice or Google Sheets as a formula
(CSV injection: `=HYPERLINK(...)`, DDE). Such a cell is written with a leading `'`,
as OWASP recommends; numbers stay numbers. The JSONL export keeps every value exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value as a CSV cell: None is empty; text that could start a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def row(values: Iterable[Any]) -> list[Any]:
    return [cell(v) for v in values]
