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
    from engine.schema import ID  # the id rule of policy files (a heavy module: load late)

    problems: list[PolicyProblem] = []

    def problem(line: int, message: str, col: int = 1) -> None:
        problems.append(PolicyProblem(Loc(name, line, col), message))

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise PolicyError([PolicyProblem(Loc(name, line, 1), "not UTF-8")]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    users: dict[str, dict[str, str]] = {}
    first_line: dict[str, int] = {}
    groups: dict[str, dict[str, list[str]]] = {}
    membership: set[tuple[str, str]] = set()
    try:
        header = next(reader, None)
        if header is None:
            raise PolicyError(
                [
                    PolicyProblem(
                        Loc(name, 1, 1), "empty CSV: expected a header row id,name,email,groups"
                    )
                ]
            )
        columns = [h.strip().lower() for h in header]
        col = 1
        for title in columns:
            if title not in COLUMNS:
                problem(1, f"unknown column '{title}' (columns: {', '.join(COLUMNS)})", col)
            col += len(title) + 1
        if "id" not in columns:
            problem(1, "the header has no 'id' column")
        if len(set(columns)) != len(columns):
            problem(1, "a column is named twice in the header")
        if problems:
            raise PolicyError(problems)
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(columns):
                problem(line, f"{len(row)} fields but the header has {len(columns)}")
                continue
            record = dict(zip(columns, (cell.strip() for cell in row), strict=False))
            uid = record.get("id", "")
            if not ID.fullmatch(uid):
                problem(line, f"invalid user id '{uid}'" if uid else "a row without an id")
                continue
            if uid in users:
                problem(line, f"duplicate user '{uid}' (first at line {first_line[uid]})")
                continue
            users[uid] = {"name": record.get("name", ""), "email": record.get("email", "")}
            first_line[uid] = line
            for gid in (g.strip() for g in record.get("groups", "").split(";")):
                if not gid:
                    continue
                if not ID.fullmatch(gid):
                    problem(line, f"invalid group id '{gid}' for user '{uid}'")
                    continue
                members = groups.setdefault(gid, {"members": []})["members"]
                if (gid, uid) not in membership:  # a set: a list look-up is quadratic
                    membership.add((gid, uid))
                    members.append(uid)
    except csv.Error as err:
        problem(reader.line_num or 1, f"unreadable CSV: {err}")
    if problems:
        raise PolicyError(problems)
    return users, groups


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
