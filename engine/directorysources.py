"""Users and groups from `directory:` sources, merged into a policy draft.

Each entry of `directory:` names a directory-source plugin (`csv` is built in); its
`build(options, policy_dir)` returns `{"users": {id: {name, email}}, "groups":
{id: {members, includes}}, "files": {path: bytes}}`. Users join the draft (an id the
YAML files define too is a problem), group memberships add to the groups the YAML
defines or create new ones, and the files read become part of the policy's version.
A plugin that fails is a problem of the policy at its `directory:` entry.
"""

from __future__ import annotations

import json
from typing import Any

from .draft import Draft, Item
from .errors import PolicyError, PolicyProblem
from .schema import ID, type_name


def add_directory_sources(
    draft: Draft,
    specs: Any,
    policy_dir: str,
    files: dict[str, bytes],
    problems: list[PolicyProblem],
) -> None:
    """Run every directory source of the draft (`specs`: the loaded plugins' specs)."""
    for index, item in enumerate(draft.directory):
        options = draft.options.get((item.src.rel, item.path))
        spec = specs.directory.get(item.id)
        if spec is None or options is None:
            continue  # reported by plugin_problems
        what = f"directory source '{item.id}'"
        try:
            result = spec.build(dict(options), policy_dir)
        except PolicyError as err:
            problems.extend(err.problems)
            draft.opaque.update(("users", "groups"))
            continue
        except Exception as err:  # a plugin failing is the policy's problem, not a crash
            problems.append(PolicyProblem(item.where, f"{what} failed: {err}"))
            draft.opaque.update(("users", "groups"))
            continue
        if not isinstance(result, dict):
            message = f"{what} returned {type_name(result)}, not users and groups"
            problems.append(PolicyProblem(item.where, message))
            continue
        _Merge(draft, item, what, problems).result(result, index, files)


class _Merge:
    """One directory source's result into the draft."""

    def __init__(self, draft: Draft, item: Item, what: str, problems: list[PolicyProblem]):
        self.draft, self.item, self.what, self.problems = draft, item, what, problems
        self.where = item.where  # every user and new group of the source stands here

    def problem(self, message: str) -> None:
        self.problems.append(PolicyProblem(self.where, message))

    def result(self, result: dict, index: int, files: dict[str, bytes]) -> None:
        users = result.get("users") or {}
        groups = result.get("groups") or {}
        if not isinstance(users, dict) or not isinstance(groups, dict):
            self.problem(f"{self.what} returned malformed users or groups")
            return
        self.users(users)
        self.groups(groups)
        extra = result.get("files")
        if isinstance(extra, dict) and extra:
            for rel, data in extra.items():
                if isinstance(rel, str) and isinstance(data, bytes | bytearray):
                    files.setdefault(rel, bytes(data))
        else:  # still make the version change when the directory's content does
            payload = {"users": users, "groups": groups}
            text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
            files[f".directory/{index}-{self.item.id}.json"] = text.encode("utf-8")

    def users(self, users: dict) -> None:
        # one loop with local names: it runs once per person of the directory
        item, what, where = self.item, self.what, self.where
        seen, target, valid = self.draft.seen, self.draft.users, ID.fullmatch
        for uid, attrs in users.items():
            if not isinstance(uid, str) or not valid(uid):
                self.problem(f"{what} gave an invalid user id {uid!r}")
                continue
            earlier = seen.get(("users", uid))
            if earlier is not None:
                self.problem(f"user '{uid}' from {what} is also defined at {earlier}")
                continue
            seen[("users", uid)] = where
            value = attrs if isinstance(attrs, dict) else {}  # the plugin's own, fresh dict
            target[uid] = Item(uid, value, item.src, item.path, where)

    def groups(self, groups: dict) -> None:
        draft, item = self.draft, self.item
        for gid, group in groups.items():
            if not isinstance(gid, str) or not ID.fullmatch(gid):
                self.problem(f"{self.what} gave an invalid group id {gid!r}")
                continue
            group = group if isinstance(group, dict) else {}
            members = [m for m in group.get("members") or () if isinstance(m, str)]
            includes = [g for g in group.get("includes") or () if isinstance(g, str)]
            existing = draft.groups.get(gid)
            if existing is not None:  # memberships add to a group the YAML defines
                value = dict(existing.value or {})
                value["members"] = [*(value.get("members") or ()), *members]
                value["includes"] = [*(value.get("includes") or ()), *includes]
                draft.groups[gid] = Item(gid, value, existing.src, existing.path)
            elif ("groups", gid) not in draft.seen:
                draft.seen[("groups", gid)] = self.where
                value = {"members": members, "includes": includes}
                draft.groups[gid] = Item(gid, value, item.src, item.path)
