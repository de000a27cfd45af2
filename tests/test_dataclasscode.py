"""engine.dataclasscode: the same classes as dataclasses.dataclass, compiled once."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from engine import dataclasscode

METHODS = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__")


@pytest.fixture
def table(tmp_path, monkeypatch):
    """A fresh table in a temporary file."""
    monkeypatch.setattr(dataclasscode, "PATH", str(tmp_path / "code.marshal"))
    monkeypatch.setattr(dataclasscode, "_table", None)
    monkeypatch.setattr(dataclasscode, "_added", False)
    monkeypatch.setattr(dataclasscode.sys, "dont_write_bytecode", False)
    compiled = []
    real = compile
    monkeypatch.setattr(
        dataclasscode,
        "compile",
        lambda *a, **k: compiled.append(a[0]) or real(*a, **k),
        raising=False,
    )
    return compiled


def define(decorator):
    @decorator(frozen=True, slots=True)
    class Span:
        start: int
        end: int
        text: str = ""
        tags: tuple[str, ...] = dataclasses.field(default=())

    return Span


def test_makes_the_class_dataclasses_makes(table):
    ours, theirs = define(dataclasscode.dataclass), define(dataclasses.dataclass)
    for name in METHODS:
        a, b = getattr(ours, name), getattr(theirs, name)
        assert a.__code__.co_code == b.__code__.co_code, name
        assert a.__code__.co_consts == b.__code__.co_consts, name
        assert a.__code__.co_names == b.__code__.co_names, name
    assert inspect.signature(ours) == inspect.signature(theirs)
    assert ours.__init__.__annotations__ == theirs.__init__.__annotations__
    assert ours.__doc__ == theirs.__doc__ and ours.__match_args__ == theirs.__match_args__
    assert ours.__slots__ == theirs.__slots__
    span = ours(1, 4, "abc")
    assert repr(span) == repr(theirs(1, 4, "abc"))
    assert repr(span).endswith("Span(start=1, end=4, text='abc', tags=())")
    assert span == ours(1, 4, "abc") and hash(span) == hash(ours(1, 4, "abc"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        span.start = 2
    assert "exec" not in vars(dataclasses)  # dataclasses is left as it was


def test_compiles_each_method_once_and_keeps_them_between_runs(table):
    define(dataclasscode.dataclass)
    assert len(table) == len(METHODS)
    define(dataclasscode.dataclass)
    assert len(table) == len(METHODS)  # the same sources: nothing compiled again
    dataclasscode._save()
    dataclasscode._table = None  # a new process reads the file
    define(dataclasscode.dataclass)
    assert len(table) == len(METHODS)


def test_an_edited_class_compiles_anew(table):
    define(dataclasscode.dataclass)

    @dataclasscode.dataclass(frozen=True, slots=True)
    class Span:
        start: int
        stop: int

    assert any("stop" in source for source in table[len(METHODS) :])


def test_an_unreadable_table_is_ignored_and_nothing_is_written_when_told_not_to(table, monkeypatch):
    with open(dataclasscode.PATH, "wb") as handle:
        handle.write(b"not a table")
    span = define(dataclasscode.dataclass)(1, 2)
    assert span.end == 2 and len(table) == len(METHODS)
    monkeypatch.setattr(dataclasscode.sys, "dont_write_bytecode", True)
    dataclasscode._save()
    with open(dataclasscode.PATH, "rb") as handle:
        assert handle.read() == b"not a table"
    monkeypatch.setattr(dataclasscode.sys, "dont_write_bytecode", False)
    dataclasscode._save()
    dataclasscode._table = None
    dataclasscode._load()
    assert len(dataclasscode._table) == len(METHODS)
