"""engine.fastinit builds the same frozen instances as the dataclass itself."""

from __future__ import annotations

import dataclasses

import pytest

from engine.fastinit import constructor
from engine.model import Effect, Reason, Span, TopicMatch, TraceStep


def test_instances_equal_the_dataclass_own_and_stay_frozen():
    build = constructor(Reason)
    assert build is not Reason
    made = build("r1", "rule", "no", Effect.DENY)
    assert made == Reason("r1", "rule", "no", Effect.DENY)
    assert hash(made) == hash(Reason("r1", "rule", "no", Effect.DENY))
    assert made.advisory is False  # the default
    assert build("r1", "rule", "no", Effect.WARN, advisory=True).advisory is True
    assert type(made) is Reason
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.message = "changed"
    for cls, args in (
        (Span, (1, 4, "APR", "apr")),
        (TraceStep, ("topic", "rates", True, "found 'APR'")),
        (TopicMatch, ("rates", (Span(1, 4, "APR", "apr"),))),
    ):
        assert constructor(cls)(*args) == cls(*args)


def test_missing_argument_is_a_type_error_as_with_the_class():
    with pytest.raises(TypeError):
        constructor(Span)(1, 2, "x")


def test_classes_it_cannot_build_faithfully_keep_their_own_init():
    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        n: int

        def __post_init__(self) -> None:
            if self.n < 0:
                raise ValueError("negative")

    @dataclasses.dataclass(frozen=True, slots=True)
    class Listed:
        items: list = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        n: int

    for cls in (Checked, Listed, NoSlots):
        assert constructor(cls) is cls
