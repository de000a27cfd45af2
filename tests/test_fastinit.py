"""engine.fastinit builds the same frozen instances as the dataclass itself."""

from __future__ import annotations

import dataclasses

import pytest

from engine.fastinit import constructor
from engine.model import (
    Decision,
    Effect,
    Outcome,
    Post,
    Reason,
    Requirement,
    Span,
    TopicMatch,
    TraceStep,
)


def test_instances_equal_the_dataclass_own_and_stay_frozen():
    build = constructor(Requirement)
    assert build is not Requirement
    made = build("rates", "topic", ("group:legal",), 2)
    assert made == Requirement("rates", "topic", ("group:legal",), 2)
    assert hash(made) == hash(Requirement("rates", "topic", ("group:legal",), 2))
    assert made.escalation is None  # the default
    assert build("rates", "topic", (), 1, escalation="chain").escalation == "chain"
    assert type(made) is Requirement
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.approvals = 1  # type: ignore[misc]
    post = Post("kim", "twitter/main", "hello")
    args = (Outcome.APPROVED, post, (), (), (), (), "v1")
    assert constructor(Decision)(*args) == Decision(*args)


def test_the_parts_a_decision_builds_by_the_dozen_are_immutable_named_tuples():
    reason = tuple.__new__(Reason, ("r1", "rule", "no", Effect.DENY, False))
    assert reason == Reason("r1", "rule", "no", Effect.DENY)
    assert hash(reason) == hash(Reason("r1", "rule", "no", Effect.DENY))
    assert type(reason) is Reason and reason.advisory is False
    with pytest.raises(AttributeError):
        reason.message = "changed"  # type: ignore[misc]
    span = Span(1, 4, "APR", "apr")
    assert TopicMatch("rates", (span,)).more_spans == 0
    assert TraceStep("topic", "rates", True, "found 'APR'")._asdict() == {
        "stage": "topic",
        "id": "rates",
        "matched": True,
        "detail": "found 'APR'",
    }


def test_missing_argument_is_a_type_error_as_with_the_class():
    with pytest.raises(TypeError):
        constructor(Requirement)("rates", "topic")


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
