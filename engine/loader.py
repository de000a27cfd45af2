"""Reading a policy directory into a validated `Policy`.

`load_policy(policy_dir)` reads every `*.yaml` / `*.yml` file under the directory
(recursively; not its top-level `tests/` directory, nor hidden files and directories),
checks each against the JSON Schema and the plugins' option schemas, merges the
sections of all files, adds users and groups from `directory:` sources, runs the
semantic checks of `engine.validate`, and builds the frozen model of `engine.model`.

Any problem raises `PolicyError` carrying every problem found, each at its node as
`FILE:LINE:COL` (FILE is the directory as given joined with the file's relative path).
Nothing else escapes: an unexpected failure is reported as a problem too.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from datetime import UTC, date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import policybuild as build
from .directorysources import add_directory_sources
from .draft import Draft, Item, Source
from .errors import PolicyError, PolicyProblem
from .fastinit import constructor
from .gcpause import paused_gc
from .inbound import policy as inbound_policy
from .model import (
    Loc,
    Policy,
)
from .pluginoptions import OptionChecker, PluginSpecs, plugin_problems
from .schema import (
    SINGULAR,
    schema_problems,
    suggest,
    type_name,
)
from .validate import DICT_SECTIONS, LIST_SECTIONS, check_draft
from .yamlpos import MAX_FILE_BYTES, YamlProblem, read_yaml

_SECTIONS = (*DICT_SECTIONS, *LIST_SECTIONS, "inbound")
_Loc = constructor(Loc)  # one for every entry: 200,000 in a big directory


def load_policy(
    policy_dir: str | os.PathLike,
    pm: Any = None,
    *,
    today: date | None = None,
    timings: dict[str, float] | None = None,
) -> Policy:
    """Load and validate a policy directory; raises PolicyError listing every problem.
    `timings`, when given, receives the CPU seconds spent validating (for benchmarks)."""
    shown = os.fspath(policy_dir)
    try:
        with paused_gc():
            policy, validating = _load(shown, pm, today or datetime.now(UTC).date())
        if timings is not None:
            timings["validate"] = validating
        return policy
    except PolicyError:
        raise
    except Exception as err:  # a bug or a misbehaving plugin: still one clear report
        raise PolicyError(
            [PolicyProblem(Loc(shown, 1, 1), f"internal error while loading the policy: {err!r}")]
        ) from err


def _load(shown: str, pm: Any, today: date) -> tuple[Policy, float]:
    """The policy and the CPU seconds spent validating it. The loader (every file's data,
    the draft) is freed on return, while the collector is still paused: it then never
    looks at those objects."""
    loader = _Loader(shown, pm, today)
    return loader.load(), loader.validating


def policy_files(policy_dir: str) -> list[str]:
    """Relative POSIX paths of the policy files, sorted (tests/ and hidden names left out).

    Raises OSError when a directory cannot be listed: skipping it silently could drop
    a deny rule. Symbolic links to files are read; to directories, not followed."""
    found = []

    def fail(err: OSError) -> None:
        raise err

    for dirpath, dirnames, filenames in os.walk(policy_dir, onerror=fail):
        rel_dir = os.path.relpath(dirpath, policy_dir)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not (rel_dir == "" and d == "tests")
        )
        for name in filenames:
            if name.endswith((".yaml", ".yml")) and not name.startswith("."):
                found.append(rel_dir + name)
    return sorted(found)


def read_regular_file(name: str, limit: int) -> bytes:
    """Up to `limit` bytes of a regular file; a FIFO, device or socket is refused without
    blocking (opened non-blocking, then checked), so a hostile path cannot hang a reader."""
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit)
    finally:
        os.close(fd)


class _Loader:
    def __init__(self, shown: str, pm: Any, today: date):
        if pm is None:
            from .plugins import default_plugin_manager

            pm = default_plugin_manager()
        self.shown = shown
        self.pm = pm
        self.today = today
        self.problems: list[PolicyProblem] = []
        self.files: dict[str, bytes] = {}
        self.draft = Draft()
        self.timezone: tuple[str, Loc] | None = None
        self.validating = 0.0  # CPU seconds in schema and semantic checks

    def problem(self, loc: Loc, message: str) -> None:
        self.problems.append(PolicyProblem(loc, message))

    def fail(self, message: str) -> PolicyError:
        return PolicyError([PolicyProblem(Loc(self.shown, 1, 1), message)])

    # ------------------------------------------------------------ steps

    def load(self) -> Policy:
        sources = self.read_sources()
        specs = PluginSpecs.from_manager(self.pm)
        options = OptionChecker()
        started = time.process_time()
        for src in sources:
            self.check_source(src, specs, options)
        self.validating += time.process_time() - started
        for src in sources:
            self.merge(src)
        add_directory_sources(self.draft, specs, self.shown, self.files, self.problems)
        defaults = {name: spec.default_action.value for name, spec in specs.checks.items()}
        started = time.process_time()
        report = check_draft(self.draft, self.today, check_defaults=defaults)
        self.validating += time.process_time() - started
        for loc, message in report.errors:
            self.problem(loc, message)
        warnings = tuple(
            PolicyProblem(loc, message)
            for loc, message in sorted(
                report.warnings, key=lambda w: (w[0].file, w[0].line, w[0].col)
            )
        )
        if self.problems:
            raise PolicyError(self.problems, warnings)
        timezone = self.timezone[0] if self.timezone else "UTC"
        return build.policy(self.draft, self.files, warnings, timezone)

    def read_sources(self) -> list[Source]:
        if not os.path.exists(self.shown):
            raise self.fail(
                f"no policy directory '{self.shown}' (give one with --policy or SAYSO_POLICY)"
            )
        if not os.path.isdir(self.shown):
            raise self.fail(f"'{self.shown}' is not a directory: --policy takes a policy directory")
        try:
            names = policy_files(self.shown)
        except OSError as err:
            where = err.filename or self.shown
            raise self.fail(f"cannot list '{where}': {err.strerror or err}") from None
        if not names:
            raise self.fail(f"no policy files (*.yaml) in '{self.shown}'")
        sources = []
        for rel in names:
            name = os.path.join(self.shown, *rel.split("/"))
            data = self.read_bytes(name)
            if data is None:
                continue
            self.files[rel] = data
            try:
                doc = read_yaml(data)
            except YamlProblem as err:
                self.problem(Loc(name, err.line, err.col), err.message)
                self.draft.opaque.update(_SECTIONS)  # we cannot tell what it defined
                continue
            for dup in doc.problems:
                self.problem(Loc(name, dup.line, dup.col), dup.message)
            sources.append(Source(rel, name, doc.data, doc.positions))
        return sources

    def read_bytes(self, name: str) -> bytes | None:
        try:
            data = read_regular_file(name, MAX_FILE_BYTES + 1)
        except OSError as err:
            self.problem(Loc(name, 1, 1), f"cannot read the file: {err.strerror or err}")
            self.draft.opaque.update(_SECTIONS)
            return None
        if len(data) > MAX_FILE_BYTES:
            self.problem(
                Loc(name, 1, 1), f"file is too large (the limit is {MAX_FILE_BYTES:,} bytes)"
            )
            self.draft.opaque.update(_SECTIONS)
            return None
        return data

    def check_source(self, src: Source, specs: PluginSpecs, options: OptionChecker) -> None:
        """Schema and plugin-option problems of one file.

        Entries with problems are still merged, so the semantic checks report what else
        is wrong with them (those checks expect any shape); the policy is never built
        when there is a problem. A section that is not even of the right type is marked
        opaque: references to what it might have defined are not checked."""
        data = src.data
        if data is None:
            src.data = {}
            return
        if not isinstance(data, dict):
            sections = ", ".join(("version", *_SECTIONS))
            self.problem(
                src.loc(()),
                f"a policy file must be a mapping of sections ({sections}), not {type_name(data)}",
            )
            src.data = {}
            self.draft.opaque.update(_SECTIONS)
            return
        found = schema_problems(data)
        plugin_found, normalised = plugin_problems(data, specs, options)
        for item in (*found, *plugin_found):
            self.problem(src.loc(item.path, item.at_key), item.message)
            path = item.path
            if len(path) == 1 and path[0] in _SECTIONS:
                self.draft.opaque.add(path[0])
            elif len(path) == 1 and path[0] != "version":
                close = suggest(str(path[0]), _SECTIONS)
                if close:
                    self.draft.opaque.add(close.split("'")[1])
        for path, opts in normalised.items():
            self.draft.options[(src.rel, path)] = opts

    def merge(self, src: Source) -> None:
        draft = self.draft
        self.merge_timezone(src)
        seen, key_at, name = draft.seen, src.positions.key, src.name
        for section in DICT_SECTIONS:
            block = src.data.get(section)
            if not isinstance(block, dict):
                continue
            target = getattr(draft, section)
            places = src.positions.key_places((section,), partial(_Loc, name))
            for key, value in block.items():  # self.first() inlined: 200,000 users
                path = (section, key)  # also the key of `seen`
                where = places.get(key) if places is not None else None
                if where is None:
                    where = _Loc(name, *key_at(path))  # the entry's place: its key
                earlier = seen.setdefault(path, where)
                if earlier is where:
                    target[key] = Item(key, value, src, path, where)
                else:
                    self.first(section, key, where)
        for section in LIST_SECTIONS:
            block = src.data.get(section)
            if not isinstance(block, list):
                continue
            for index, value in enumerate(block):
                path = (section, index)
                ident = _item_id(section, value)
                if ident is None:
                    continue  # no usable id or use: the schema said so
                if section in ("notifiers", "directory"):
                    getattr(draft, section).append(Item(ident, value, src, path))
                    continue
                at = src.loc(path + ("id",)) if isinstance(value.get("id"), str) else src.loc(path)
                hint = "; give each an 'id'" if section == "checks" and "id" not in value else ""
                if self.first(section, ident, at, hint):
                    getattr(draft, section)[ident] = Item(ident, value, src, path)
        inbound_policy.merge(draft, src, self.first, Item)

    def first(self, section: str, ident: str, loc: Loc, hint: str = "") -> bool:
        """Record where `ident` is defined; a second definition is a problem."""
        earlier = self.draft.seen.setdefault((section, ident), loc)
        if earlier is not loc:
            self.problem(
                loc, f"duplicate {SINGULAR[section]} '{ident}' (first defined at {earlier}){hint}"
            )
            return False
        return True

    def merge_timezone(self, src: Source) -> None:
        """`timezone:` names one IANA zone, in one file only."""
        value = src.data.get("timezone")
        if not isinstance(value, str) or not value:
            return  # absent, or the schema already said what is wrong
        where = src.loc(("timezone",))
        if self.timezone is not None:
            self.problem(where, f"timezone is also set at {self.timezone[1]}")
            return
        try:
            if not value.isascii() or ".." in value:
                raise ValueError(value)
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError):
            self.problem(where, f"unknown time zone '{value[:64]}' (an IANA name: Europe/Berlin)")
            return
        self.timezone = (value, where)


def _item_id(section: str, value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    ident = value.get("use") if section in ("notifiers", "directory") else value.get("id")
    if ident is None and section == "checks":
        ident = value.get("use")
    return ident if isinstance(ident, str) and ident else None
