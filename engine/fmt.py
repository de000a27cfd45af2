"""`sayso fmt`: one canonical layout for policy YAML, so a review diff shows only real changes.

A ruamel.yaml round trip keeps comments, key order, flow or block style and quoting,
and re-indents: mappings by 2, list items by 2 with their dash (`  - id: x`).
Trailing spaces go, runs of blank lines become one, the file ends with one newline.
The result is checked to read back as the same data as the original (with the same
reader the loader uses); a file that would not is left alone and reported.
Formatting is idempotent: formatting a formatted file changes nothing.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from dataclasses import dataclass

from .errors import first_line
from .model import Loc
from .policycache import read_regular
from .yamlpos import MAX_FILE_BYTES, YamlProblem, decode, read_yaml

_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING = re.compile(r"[ \t]+$", re.M)


class FormatProblem(Exception):
    """A file that cannot be formatted: not YAML, or formatting would change its meaning."""

    def __init__(self, loc: Loc, message: str):
        super().__init__(f"{loc}: {message}")
        self.loc = loc
        self.message = message


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never re-wrap a long line: that is the author's choice
    return yaml


def format_yaml(data: bytes, name: str = "<policy>") -> str:
    """The canonical text of one YAML file (raises FormatProblem)."""
    try:
        doc = read_yaml(data)
        text = decode(data)
    except YamlProblem as err:
        raise FormatProblem(Loc(name, err.line, err.col), err.message) from None
    if doc.problems:  # a duplicate key: which value is meant is for a person to decide
        first = doc.problems[0]
        raise FormatProblem(Loc(name, first.line, first.col), first.message)
    before = doc.data
    if not text.strip():
        return ""
    yaml = _yaml()
    try:
        out = io.StringIO()
        yaml.dump(yaml.load(text), out)
    except Exception as err:  # ruamel's own errors: report, never crash
        raise FormatProblem(Loc(name, 1, 1), f"cannot format: {first_line(err)}") from None
    result = _tidy(out.getvalue())
    if _reads_as(result) != before:
        result = out.getvalue()  # trailing spaces inside a block scalar are content
        if _reads_as(result) != before:
            raise FormatProblem(Loc(name, 1, 1), "not formatted: the layout would change the data")
    return result


def _tidy(text: str) -> str:
    text = _TRAILING.sub("", text)
    text = _BLANK_RUNS.sub("\n\n", text)
    return _indent_comments(text.strip("\n")) + "\n"


def _indent_comments(text: str) -> str:
    """A comment on a line of its own takes the indentation of the line it comments on
    (the next line that is not blank or a comment). Never used inside a block scalar:
    the caller checks the data did not change."""
    lines = text.split("\n")
    indent = 0
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        stripped = line.lstrip(" ")
        if stripped.startswith("#"):
            lines[index] = " " * indent + stripped
        elif stripped:
            indent = len(line) - len(stripped)
    return "\n".join(lines)


def _reads_as(text: str):
    try:
        return read_yaml(text.encode("utf-8")).data
    except YamlProblem:
        return object()  # equal to nothing


@dataclass(frozen=True, slots=True)
class FormatResult:
    changed: tuple[str, ...]  # files whose text changes (rewritten unless checking)
    problems: tuple[FormatProblem, ...]
    checked: int


def policy_yaml_files(policy_dir: str) -> list[str]:
    """The policy's files and its tests' files, as paths under `policy_dir`."""
    from .loader import policy_files
    from .policytest import case_files

    files = [os.path.join(policy_dir, *rel.split("/")) for rel in policy_files(policy_dir)]
    tests = os.path.join(policy_dir, "tests")
    if os.path.isdir(tests):
        files.extend(case_files(tests))
    return files


def format_files(paths: list[str], *, check: bool = False) -> FormatResult:
    """Format each file in place (only report with `check`)."""
    changed, problems = [], []
    for path in paths:
        try:
            data = read_regular(path, MAX_FILE_BYTES + 1)
            text = format_yaml(data, path)
        except FormatProblem as err:
            problems.append(err)
            continue
        except OSError as err:
            problems.append(FormatProblem(Loc(path, 1, 1), f"cannot read: {err.strerror or err}"))
            continue
        new = text.encode("utf-8")
        if new == data:
            continue
        changed.append(path)
        if not check:
            _write(path, new)
    return FormatResult(tuple(changed), tuple(problems), len(paths))


def _write(path: str, data: bytes) -> None:
    """Replace the file in one step, so an interrupted run never leaves half a policy."""
    tmp = f"{path}.sayso-fmt.tmp"
    with open(tmp, "wb") as handle:
        handle.write(data)
    with contextlib.suppress(OSError):  # keep the file's permissions where we can
        os.chmod(tmp, os.stat(path).st_mode & 0o7777)
    os.replace(tmp, path)
