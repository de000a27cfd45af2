"""plugins.directory_csv: users and group memberships from a CSV file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.errors import PolicyError
from engine.loader import load_policy
from engine.plugins import DEFAULT_PLUGINS, directory_sources, get_plugin_manager
from plugins.directory_csv import build, parse_csv

FIXTURE = Path(__file__).parent / "fixtures" / "policies" / "good" / "directory"


def test_registered_as_a_built_in():
    assert "plugins.directory_csv" in DEFAULT_PLUGINS
    spec = directory_sources(get_plugin_manager(load_entrypoints=False))["csv"]
    assert spec.options_schema["path"]["required"] is True


def test_users_and_groups_merge_into_the_policy():
    policy = load_policy(FIXTURE)
    assert set(policy.users) == {"boss", "dana", "eli", "fran"}
    assert policy.users["dana"].name == "Dana Diaz"
    assert policy.users["dana"].email == "dana@cu.example"
    assert policy.users["fran"].name == "Fox, Fran"
    # `support` is in the YAML too: the CSV adds its members; `interns` comes from the CSV
    assert policy.groups["support"].members == ("boss", "dana", "eli")
    assert policy.groups["interns"].members == ("dana",)


def test_the_csv_is_part_of_the_policy_files_and_version(tmp_path):
    policy = load_policy(FIXTURE)
    assert policy.files["people.csv"] == (FIXTURE / "people.csv").read_bytes()
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("policy.yaml", "people.csv"):
        (copy / name).write_bytes((FIXTURE / name).read_bytes())
    assert load_policy(copy).version == policy.version
    with (copy / "people.csv").open("a") as handle:
        handle.write("gus,Gus,,\n")
    changed = load_policy(copy)
    assert changed.version != policy.version and "gus" in changed.users


def write(tmp_path: Path, csv_text: str | bytes, options: str = "") -> Path:
    (tmp_path / "policy.yaml").write_text(
        "users: {boss: {}}\ndirectory:\n  - {use: csv, path: people.csv" + options + "}\n"
    )
    if isinstance(csv_text, bytes):
        (tmp_path / "people.csv").write_bytes(csv_text)
    else:
        (tmp_path / "people.csv").write_text(csv_text, encoding="utf-8")
    return tmp_path


def problems(folder: Path) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy(folder)
    return [str(p).replace(str(folder) + os.sep, "") for p in caught.value.problems]


def test_duplicate_with_yaml_is_an_error(tmp_path):
    folder = write(tmp_path, "id,name\nboss,Big Boss\n")
    assert problems(folder) == [
        "policy.yaml:3:5: user 'boss' from directory source 'csv' is also defined at policy.yaml:1:9"
    ]


def test_row_problems_name_the_csv_line(tmp_path):
    folder = write(tmp_path, "id,name,groups\nana,Ana,a;bad group\n,No Id,\nana,Again,\nbo b,x,\n")
    assert problems(folder) == [
        "people.csv:2:1: invalid group id 'bad group' for user 'ana'",
        "people.csv:3:1: a row without an id",
        "people.csv:4:1: duplicate user 'ana' (first at line 2)",
        "people.csv:5:1: invalid user id 'bo b'",
    ]


def test_header_problems(tmp_path):
    assert problems(write(tmp_path, "name,email\nAna,a@x\n")) == [
        "people.csv:1:1: the header has no 'id' column"
    ]
    assert problems(write(tmp_path, "id,grups\n")) == [
        "people.csv:1:4: unknown column 'grups' (columns: id, name, email, groups)"
    ]
    assert problems(write(tmp_path, "")) == [
        "people.csv:1:1: empty CSV: expected a header row id,name,email,groups"
    ]


def test_too_many_fields(tmp_path):
    assert problems(write(tmp_path, "id,name\nana,Ana,extra\n")) == [
        "people.csv:2:1: 3 fields but the header has 2"
    ]


def test_non_utf8(tmp_path):
    assert problems(write(tmp_path, b"id\nana\n\xff\n")) == ["people.csv:3:1: not UTF-8"]


def test_missing_file(tmp_path):
    folder = write(tmp_path, "id\n")
    (folder / "people.csv").unlink()
    (line,) = problems(folder)
    assert line.startswith("policy.yaml:3:5: directory source 'csv' failed: no such file")
    write(tmp_path, "id\n", ", required: false")
    (folder / "people.csv").unlink()
    assert set(load_policy(folder).users) == {"boss"}


@pytest.mark.parametrize("path", ["../people.csv", "/etc/passwd"])
def test_path_must_stay_inside_the_policy(tmp_path, path):
    (tmp_path / "policy.yaml").write_text(f"directory:\n  - {{use: csv, path: '{path}'}}\n")
    (line,) = problems(tmp_path)
    assert "must be relative and inside the policy directory" in line


def test_bad_options(tmp_path):
    (tmp_path / "policy.yaml").write_text("directory:\n  - {use: csv, file: people.csv}\n")
    assert problems(tmp_path) == [
        "policy.yaml:2:5: directory source 'csv' needs the option 'path'",
        "policy.yaml:2:16: unknown option 'file' for directory source 'csv'",
    ]


def test_build_and_parse_directly(tmp_path):
    (tmp_path / "p.csv").write_text(
        "\ufeffID, Name ,groups\n dana , Dana ,a; b;\n", encoding="utf-8"
    )
    result = build({"path": "p.csv", "required": True}, str(tmp_path))
    assert result["users"] == {"dana": {"name": "Dana", "email": ""}}
    assert result["groups"] == {"a": {"members": ["dana"]}, "b": {"members": ["dana"]}}
    assert result["files"] == {"p.csv": (tmp_path / "p.csv").read_bytes()}
    assert parse_csv(b"id\n", "x.csv") == ({}, {})
