"""Matched topic spans as plain segments, so templates highlight without `|safe`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    topics: tuple[str, ...]  # empty: not matched


def segments(text: str, topics: Any) -> list[Segment]:
    """Split `text` at every span boundary; each piece lists the topics covering it.

    `topics` is a Decision's `topics` (objects with `.id` and `.spans`). Overlapping
    and nested spans are fine; spans outside the text are clipped.
    """
    covering: list[tuple[int, int, str]] = []
    for topic in topics:
        for span in topic.spans:
            start, end = max(0, span.start), min(len(text), span.end)
            if start < end:
                covering.append((start, end, topic.id))
    cuts = sorted({0, len(text), *(s for s, _, _ in covering), *(e for _, e, _ in covering)})
    out: list[Segment] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        ids = tuple(sorted({t for s, e, t in covering if s <= start and end <= e}))
        if out and out[-1].topics == ids:
            out[-1] = Segment(out[-1].text + text[start:end], ids)
        else:
            out.append(Segment(text[start:end], ids))
    return out
