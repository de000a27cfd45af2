"""Policy test files (`tests/*.yaml`) read into test cases, every problem at its
line and column; `engine.policytest` runs them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from difflib import get_close_matches
from typing import Any

from .errors import NotFound, PolicyError, PolicyProblem, SaysoError
from .model import Loc, Outcome, Post
from .times import parse_time
from .yamlpos import Positions, YamlProblem, read_yaml

CASE_KEYS = (
    "name",
    "description",
    "post",
    "expect",
    "reasons_include",
    "reasons_exclude",
    "requires",
    "warnings_include",
    "at",
    "history",
)
POST_KEYS = ("author", "channel", "kind", "text")
ID_LISTS = ("reasons_include", "reasons_exclude", "requires", "warnings_include")
BUILTIN_REASON_IDS = frozenset({"author", "channel", "kind", "default-deny"})


@dataclass(frozen=True, slots=True)
class TestCase:
    """One case of a test file, as written."""

    __test__ = False  # not a pytest class

    name: str
    file: str
    line: int
    post: Post
    expect: Outcome
    reasons_include: tuple[str, ...] = ()
    reasons_exclude: tuple[str, ...] = ()
    requires: tuple[str, ...] | None = None  # None: not checked
    warnings_include: tuple[str, ...] = ()
    at: datetime | None = None
    history: tuple[Post, ...] | None = None  # earlier posts, oldest first; None: no history

    def history_source(self):
        """What `Engine.decide(history=...)` takes: (channel, kind) -> texts, newest first."""
        if self.history is None:
            return None
        earlier = self.history[::-1]

        def source(channel: str | None, kind: str):
            return (
                p.text
                for p in earlier
                if p.kind == kind and (channel is None or p.channel == channel)
            )

        return source


def case_files(tests_dir: str | os.PathLike) -> list[str]:
    """The `*.yaml` and `*.yml` files directly in `tests_dir`, sorted."""
    try:
        names = os.listdir(tests_dir)
    except FileNotFoundError:
        raise NotFound(f"no test directory '{tests_dir}' (give one with --tests DIR)") from None
    except NotADirectoryError:
        raise NotFound(f"'{tests_dir}' is not a directory: --tests takes a directory") from None
    return sorted(
        os.path.join(tests_dir, n)
        for n in names
        if n.endswith((".yaml", ".yml")) and not n.startswith(".")
    )


def load_cases(
    tests_dir: str | os.PathLike, known_ids: dict[str, tuple[str, ...]] | None = None
) -> tuple[TestCase, ...]:
    """Every case of every test file; all problems at once as a PolicyError."""
    problems: list[PolicyProblem] = []
    cases: list[TestCase] = []
    files = case_files(tests_dir)
    for path in files:
        cases.extend(_CaseReader(path, problems, known_ids).read())
    if problems:
        raise PolicyError(problems)
    if not cases:
        where = Loc(str(tests_dir), 0, 0)
        raise PolicyError([PolicyProblem(where, "no test cases (write tests/*.yaml files)")])
    return tuple(cases)


class _CaseReader:
    """Reads one test file, reporting each problem at its node."""

    def __init__(self, path: str, problems: list[PolicyProblem], known_ids: dict | None):
        self.path = path
        self.problems = problems
        self.positions = Positions({}, {})
        self.known = None if known_ids is None else {i for ids in known_ids.values() for i in ids}

    def problem(self, path: tuple, message: str, at_key: bool = False) -> None:
        line, col = self.positions.key(path) if at_key else self.positions.value(path)
        self.problems.append(PolicyProblem(Loc(self.path, line, col), message))

    def read(self) -> list[TestCase]:
        try:
            with open(self.path, "rb") as handle:
                document = read_yaml(handle.read())
        except YamlProblem as err:
            self.problems.append(PolicyProblem(Loc(self.path, err.line, err.col), err.message))
            return []
        except OSError as err:
            self.problems.append(PolicyProblem(Loc(self.path, 0, 0), err.strerror or str(err)))
            return []
        self.positions = document.positions
        for dup in document.problems:
            self.problems.append(PolicyProblem(Loc(self.path, dup.line, dup.col), dup.message))
        data = document.data
        if not isinstance(data, dict) or "tests" not in data:
            self.problem((), "a test file is a mapping with a 'tests:' list of cases")
            return []
        for key in data:
            if key not in ("tests", "version") and not str(key).startswith("x-"):
                self.unknown((key,), key, ("tests", "version"))
        if data.get("version", 1) != 1:
            self.problem(("version",), "version must be 1")
        if not isinstance(data["tests"], list):
            self.problem(("tests",), "'tests' must be a list of cases")
            return []
        cases = []
        for index, raw in enumerate(data["tests"]):
            case = self.case(("tests", index), raw)
            if case is not None:
                cases.append(case)
        return cases

    def unknown(self, path: tuple, key: Any, allowed: tuple[str, ...]) -> None:
        close = get_close_matches(str(key), allowed, n=1)
        hint = (
            f" (did you mean '{close[0]}'?)"
            if close
            else f" (expected one of: {', '.join(allowed)})"
        )
        self.problem(path, f"unknown key '{key}'{hint}", at_key=True)

    def case(self, path: tuple, raw: Any) -> TestCase | None:
        if not isinstance(raw, dict):
            self.problem(path, "a test case is a mapping (name, post, expect...)")
            return None
        before = len(self.problems)
        for key in raw:
            if key not in CASE_KEYS:
                self.unknown(path + (key,), key, CASE_KEYS)
        for key in ("name", "post", "expect"):
            if key not in raw:
                self.problem(path, f"a test case needs '{key}'")
        name = raw.get("name")
        if "name" in raw and (not isinstance(name, str) or not name.strip()):
            self.problem(path + ("name",), "name must be a non-empty string")
        post = self.post(path + ("post",), raw["post"]) if "post" in raw else None
        expect = raw.get("expect")
        outcomes = [o.value for o in Outcome]
        if "expect" in raw and expect not in outcomes:
            self.problem(
                path + ("expect",), f"expect must be one of {', '.join(outcomes)}, not {expect!r}"
            )
        lists = {key: self.ids(path + (key,), raw[key]) for key in ID_LISTS if key in raw}
        at = self.time(path + ("at",), raw["at"]) if raw.get("at") is not None else None
        history = (
            self.history(path + ("history",), raw["history"], post) if "history" in raw else None
        )
        if len(self.problems) > before or post is None:
            return None
        if not isinstance(name, str) or not isinstance(expect, str):
            return None  # each already recorded as a problem above
        line = self.positions.value(path)[0]
        return TestCase(
            name=name,
            file=self.path,
            line=line,
            post=post,
            expect=Outcome(expect),
            reasons_include=lists.get("reasons_include", ()),
            reasons_exclude=lists.get("reasons_exclude", ()),
            requires=lists.get("requires"),
            warnings_include=lists.get("warnings_include", ()),
            at=at,
            history=history,
        )

    def post(self, path: tuple, raw: Any) -> Post | None:
        if not isinstance(raw, dict):
            self.problem(path, "post must be a mapping {author, channel, kind, text}")
            return None
        ok = True
        for key in raw:
            if key not in POST_KEYS:
                self.unknown(path + (key,), key, POST_KEYS)
                ok = False
        for key in ("author", "channel", "text"):
            if key not in raw:
                self.problem(path, f"post needs '{key}'")
                ok = False
            elif not isinstance(raw[key], str | int) or isinstance(raw[key], bool):
                self.problem(path + (key,), f"post {key} must be a string")
                ok = False
        kind = raw.get("kind", "post")
        if kind not in ("post", "reply"):
            self.problem(path + ("kind",), f"kind must be post or reply, not {kind!r}")
            ok = False
        if not ok:
            return None
        return Post(str(raw["author"]), str(raw["channel"]), str(raw["text"]), kind)

    def history(self, path: tuple, raw: Any, post: Post | None) -> tuple[Post, ...]:
        """Earlier posts: a text (the case's channel and kind) or {text, channel, kind}."""
        if not isinstance(raw, list):
            self.problem(
                path, "history must be a list of earlier posts (texts or {text, channel, kind})"
            )
            return ()
        channel, kind = (post.channel, post.kind) if post else ("", "post")
        earlier = []
        for index, item in enumerate(raw):
            if isinstance(item, str):
                item = {"text": item}
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                self.problem(path + (index,), "an earlier post is a text or {text, channel, kind}")
                continue
            for key in item:
                if key not in ("text", "channel", "kind"):
                    self.unknown(path + (index, key), key, ("text", "channel", "kind"))
            kind_of = item.get("kind", kind)
            if kind_of not in ("post", "reply"):
                self.problem(path + (index, "kind"), f"kind must be post or reply, not {kind_of!r}")
                continue
            earlier.append(Post("", str(item.get("channel", channel)), item["text"], kind_of))
        return tuple(earlier)

    def ids(self, path: tuple, raw: Any) -> tuple[str, ...]:
        if not isinstance(raw, list) or not all(isinstance(i, str) for i in raw):
            self.problem(path, f"{path[-1]} must be a list of rule, topic or check ids")
            return ()
        if self.known is not None:
            for index, ident in enumerate(raw):
                if ident not in self.known and ident not in BUILTIN_REASON_IDS:
                    close = get_close_matches(ident, self.known, n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    self.problem(
                        path + (index,),
                        f"'{ident}' is not a rule, topic or check of the policy{hint}",
                    )
        return tuple(raw)

    def time(self, path: tuple, raw: Any) -> datetime | None:
        try:
            return parse_time(str(raw), "at")
        except SaysoError as err:
            self.problem(path, f"{err} (2027-06-01T09:00:00Z)")
            return None
