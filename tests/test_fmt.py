"""`sayso fmt`: canonical layout that keeps comments, order and meaning; idempotent."""

from __future__ import annotations

import io
import shutil
from dataclasses import fields, replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from cli import cli
from engine.fmt import FormatProblem, format_yaml
from engine.loader import load_policy
from engine.yamlpos import read_yaml

ROOT = Path(__file__).resolve().parent.parent

MESSY = """\
version:   1
users:
    dana:   {name:   Dana}   # the agent{SPACES}
    eli:
        name: Eli{SPACES}
rules:
- id: r
  allow: [ "group:s" ,  user:eli ]
  # who may post where
  channels:
  - "*"



topics:
  t: {keywords: [a, 'b c']}
""".replace("{SPACES}", "   ")


def fmt(*args: str, policy: Path | None = None):
    base = ["--policy", str(policy)] if policy else []
    result = CliRunner().invoke(cli, [*base, "fmt", *args])
    assert "Traceback" not in result.output
    return result


def test_layout_is_canonical_and_keeps_comments_and_order():
    out = format_yaml(MESSY.encode())
    assert out == (
        "version: 1\n"
        "users:\n"
        "  dana: {name: Dana}         # the agent\n"
        "  eli:\n"
        "    name: Eli\n"
        "rules:\n"
        "  - id: r\n"
        '    allow: ["group:s", user:eli]\n'
        "    # who may post where\n"
        "    channels:\n"
        '      - "*"\n'
        "\n"
        "topics:\n"
        "  t: {keywords: [a, 'b c']}\n"
    )
    assert read_yaml(out.encode()).data == read_yaml(MESSY.encode()).data
    assert format_yaml(out.encode()) == out  # idempotent


def test_trailing_spaces_inside_a_block_scalar_are_kept():
    text = "topics:\n  t:\n    message: |\n      two spaces  \n      end\n    keywords: [x]\n"
    out = format_yaml(text.encode())
    assert read_yaml(out.encode()).data["topics"]["t"]["message"] == "two spaces  \nend\n"


def _reindented(text: str) -> str:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=4, sequence=2, offset=0)
    yaml.width = 4096
    out = io.StringIO()
    yaml.dump(yaml.load(text), out)
    return out.getvalue() + "\n\n\n"


def _content(policy):
    """Everything a policy says, without where it was written."""
    return {
        f.name: getattr(policy, f.name)
        for f in fields(policy)
        if f.name not in ("version", "files")
    }


def _relocated(policy, like):
    """`policy` with each entry's position taken from the same entry of `like`."""

    def moved(items, others):
        return type(items)(replace(i, loc=o.loc) for i, o in zip(items, others, strict=True))

    def moved_map(items, others):
        return {k: replace(v, loc=others[k].loc) for k, v in items.items()}

    return replace(
        policy,
        users=moved_map(policy.users, like.users),
        groups=moved_map(policy.groups, like.groups),
        channels=moved_map(policy.channels, like.channels),
        topics=moved_map(policy.topics, like.topics),
        escalations=moved_map(policy.escalations, like.escalations),
        rules=moved(policy.rules, like.rules),
        checks=moved(policy.checks, like.checks),
        waivers=moved(policy.waivers, like.waivers),
        notifiers=moved(policy.notifiers, like.notifiers),
        inbound_routes=moved(policy.inbound_routes, like.inbound_routes),
        inbound_default=replace(policy.inbound_default, loc=like.inbound_default.loc),
        inbound_sources=moved(policy.inbound_sources, like.inbound_sources),
    )


def test_example_policy_is_formatted_and_fmt_restores_it(tmp_path):
    """A re-indented copy of the example policy formats back to the same bytes: the
    same policy version and the same content."""
    assert fmt("--check", policy=ROOT / "policies").exit_code == 0
    copy = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", copy)
    for path in sorted(copy.rglob("*.yaml")):
        path.write_text(_reindented(path.read_text()))
    messy = load_policy(copy)
    original = load_policy(ROOT / "policies")
    assert messy.version != original.version
    assert fmt("--check", policy=copy).exit_code == 1
    result = fmt(policy=copy)
    assert result.exit_code == 0, result.output
    assert "reformatted" in result.output
    for path in sorted(copy.rglob("*.yaml")):
        assert path.read_bytes() == (ROOT / "policies" / path.relative_to(copy)).read_bytes()
    formatted = load_policy(copy)
    assert formatted.version == original.version
    assert _content(formatted) == _content(_relocated(messy, formatted))


def test_check_changes_nothing_and_exits_1(tmp_path):
    (tmp_path / "p.yaml").write_text(MESSY)
    result = fmt("--check", policy=tmp_path)
    assert result.exit_code == 1
    assert f"would reformat {tmp_path / 'p.yaml'}" in result.output
    assert (tmp_path / "p.yaml").read_text() == MESSY


def test_files_given_as_arguments(tmp_path):
    (tmp_path / "a.yaml").write_text(MESSY)
    (tmp_path / "b.yaml").write_text(MESSY)
    assert fmt(str(tmp_path / "a.yaml")).exit_code == 0
    assert (tmp_path / "a.yaml").read_text() != MESSY
    assert (tmp_path / "b.yaml").read_text() == MESSY


@pytest.mark.parametrize(
    "data, where",
    [
        (b"users:\n  dana: [unclosed\n", ":3:1:"),
        (b"users: {a: 1}\nusers: {b: 2}\n", ":2:1:"),
        (b"a: \xff\n", ":1:4:"),
        (
            b"a: &a [x, x, x, x, x, x, x, x, x]\n"
            + b"".join(
                f"{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n".encode()
                for p, n in zip("abcdefgh", "bcdefghi", strict=True)
            ),
            ":",
        ),
    ],
    ids=["unclosed", "duplicate-key", "not-utf8", "alias-bomb"],
)
def test_broken_file_is_reported_and_left_alone(tmp_path, data, where):
    path = tmp_path / "p.yaml"
    path.write_bytes(data)
    result = fmt(policy=tmp_path)
    assert result.exit_code == 1
    assert f"{path}{where}" in result.output
    assert path.read_bytes() == data
    with pytest.raises(FormatProblem):
        format_yaml(data, str(path))


def test_hostile_unicode_is_kept(tmp_path):
    text = (
        'users:\n    \u202eevil: {name: "Zo\u00eb \u200b\U0001f600"}   # \u05e9\u05dc\u05d5\u05dd\n'
    )
    out = format_yaml(text.encode())
    assert out.startswith('users:\n  \u202eevil: {name: "Zo\u00eb \u200b\U0001f600"}')
    assert out.endswith("# \u05e9\u05dc\u05d5\u05dd\n")
    assert read_yaml(out.encode()).data == read_yaml(text.encode()).data
    assert format_yaml(out.encode()) == out


def test_missing_policy_directory(tmp_path):
    result = fmt(policy=tmp_path / "nope")
    assert result.exit_code == 2
    assert "no policy directory" in result.output


def test_a_fifo_is_reported_not_waited_for(tmp_path):
    import os

    os.mkfifo(tmp_path / "pipe.yaml")
    result = fmt(str(tmp_path / "pipe.yaml"))
    assert result.exit_code == 1
    assert "not a regular file" in result.output
