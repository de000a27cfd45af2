"""Built-in directory source `csv`: users and group memberships from a CSV file.

    directory:
      - {use: csv, path: people.csv}          # relative to the policy directory

The file has a header row with the columns `id` (required), `name`, `email` and
`groups` (group ids separated by `;`), in any order. Each row is a user; the user
becomes a member of each group named (a group the YAML defines gets the members
added, any other group is created). A user id the YAML files also define is an error.
With `required: false` a missing file adds nobody instead of being an error.

The file's bytes become part of the policy (and of its version), so a changed CSV
is a new policy version.
"""

from __future__ import annotations

import csv
import io
import os
from operator import itemgetter
from pathlib import PurePosixPath
from typing import Any

from engine.errors import PolicyError, PolicyProblem
from engine.hookspecs import DirectorySpec, hookimpl
from engine.model import Loc

OPTIONS_SCHEMA = {
    "path": {"type": "string", "required": True, "empty": False},
    "required": {"type": "boolean", "default": True},
}
COLUMNS = ("id", "name", "email", "groups")
MAX_BYTES = 16 * 1024 * 1024


def build(options: dict[str, Any], policy_dir: str) -> dict[str, Any]:
    """{"users": {id: {name, email}}, "groups": {id: {members}}, "files": {path: bytes}}."""
    rel = str(options["path"]).replace("\\", "/")
    parts = PurePosixPath(rel).parts
    if rel.startswith("/") or ".." in parts or not parts:
        raise ValueError(f"path '{rel}' must be relative and inside the policy directory")
    full = os.path.join(policy_dir, *parts)
    try:
        with open(full, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        if options.get("required", True):
            raise ValueError(f"no such file: {full}") from None
        return {"users": {}, "groups": {}}
    except OSError as err:
        raise ValueError(f"cannot read {full}: {err.strerror or err}") from None
    if len(data) > MAX_BYTES:
        raise ValueError(f"{full} is too large (the limit is {MAX_BYTES:,} bytes)")
    users, groups = parse_csv(data, full)
    return {"users": users, "groups": groups, "files": {"/".join(parts): data}}


def parse_csv(data: bytes, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Users and groups from the CSV bytes; PolicyError naming each bad row's line."""
    reader = csv.reader(io.StringIO(_decode(data, name), newline=""))
    people = _People(name)
    try:
        people.read(reader, _header(reader, name))
    except csv.Error as err:
        people.problem(reader.line_num or 1, f"unreadable CSV: {err}")
    if people.problems:
        raise PolicyError(people.problems)
    return people.users, people.groups


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise PolicyError([PolicyProblem(Loc(name, line, 1), "not UTF-8")]) from None


def _header(reader: Any, name: str) -> list[str]:
    """The lower-cased column titles, or PolicyError naming every problem with them."""
    header = next(reader, None)
    if header is None:
        message = "empty CSV: expected a header row id,name,email,groups"
        raise PolicyError([PolicyProblem(Loc(name, 1, 1), message)])
    columns = [h.strip().lower() for h in header]
    problems, col = [], 1
    for title in columns:
        if title not in COLUMNS:
            message = f"unknown column '{title}' (columns: {', '.join(COLUMNS)})"
            problems.append(PolicyProblem(Loc(name, 1, col), message))
        col += len(title) + 1
    if "id" not in columns:
        problems.append(PolicyProblem(Loc(name, 1, 1), "the header has no 'id' column"))
    if len(set(columns)) != len(columns):
        problems.append(PolicyProblem(Loc(name, 1, 1), "a column is named twice in the header"))
    if problems:
        raise PolicyError(problems)
    return columns


class _People:
    """Users and group memberships gathered row by row, with the problems found."""

    def __init__(self, name: str):
        from engine.schema import ID  # the id rule of policy files (a heavy module: load late)

        self.id_rule = ID.fullmatch
        self.name = name
        self.users: dict[str, dict[str, str]] = {}
        self.groups: dict[str, dict[str, list[str]]] = {}
        self.first_line: dict[str, int] = {}
        self.problems: list[PolicyProblem] = []

    def problem(self, line: int, message: str, col: int = 1) -> None:
        self.problems.append(PolicyProblem(Loc(self.name, line, col), message))

    def read(self, reader: Any, columns: list[str]) -> None:
        """Every row after the header (one loop with local names: it runs per person)."""
        width = len(columns)
        # id, name, email and groups of a row padded with one empty cell (a missing column)
        pick = itemgetter(*(columns.index(c) if c in columns else -1 for c in COLUMNS))
        padding = [[""] * n for n in range(width + 2)]
        users, first_line, valid_id = self.users, self.first_line, self.id_rule
        known_groups: set[str] = set()  # group ids already checked and created
        for row in reader:
            if not "".join(row).strip():
                continue  # a blank row
            line, size = reader.line_num, len(row)
            if size > width:
                self.problem(line, f"{size} fields but the header has {width}")
                continue
            row += padding[width + 1 - size]
            uid, name, email, groups = pick(row)
            uid = uid.strip()
            if not valid_id(uid):
                self.problem(line, f"invalid user id '{uid}'" if uid else "a row without an id")
                continue
            if uid in users:
                self.problem(line, f"duplicate user '{uid}' (first at line {first_line[uid]})")
                continue
            users[uid] = {"name": name.strip(), "email": email.strip()}
            first_line[uid] = line
            if groups and not groups.isspace():
                self.join(line, uid, groups, known_groups)

    def join(self, line: int, uid: str, groups: str, known: set[str]) -> None:
        """Add a new user to each group of the `groups` cell."""
        done: list[str] = []  # each user is new: a membership can only repeat in its row
        for gid in (g.strip() for g in groups.split(";")):
            if not gid or gid in done:
                continue
            if gid not in known:
                if not self.id_rule(gid):
                    self.problem(line, f"invalid group id '{gid}' for user '{uid}'")
                    continue
                known.add(gid)
                self.groups[gid] = {"members": []}
            done.append(gid)
            self.groups[gid]["members"].append(uid)


@hookimpl(trylast=True)
def register_directory_sources() -> list[DirectorySpec]:
    return [
        DirectorySpec(
            name="csv",
            build=build,
            options_schema=OPTIONS_SCHEMA,
            description="Users and group memberships from a CSV file (id,name,email,groups).",
        )
    ]
