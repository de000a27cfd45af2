"""engine.entrypoints: the quick look for `sayso` entry points agrees with
importlib.metadata, and an installed third-party plugin is still loaded."""

from __future__ import annotations

import importlib
import sys
import zipfile
from importlib.metadata import distributions, entry_points

import pytest

from engine.entrypoints import may_declare
from engine.plugins import get_plugin_manager

PLUGIN = """
from engine.hookspecs import CheckSpec, hookimpl

@hookimpl
def register_checks():
    return [CheckSpec(name="third-party-check", build=lambda options: (lambda data: []))]
"""


def dist(root, name: str, entry_points_txt: str | None, suffix: str = ".dist-info"):
    folder = root / f"{name}-1.0{suffix}"
    folder.mkdir()
    (folder / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    if entry_points_txt is not None:
        (folder / "entry_points.txt").write_text(entry_points_txt)
    return folder


def importlib_finds(group: str, path: list[str]) -> bool:
    return any(ep.group == group for d in distributions(path=path) for ep in d.entry_points)


def test_agrees_with_importlib_metadata_on_this_environment():
    groups = {ep.group for d in distributions() for ep in d.entry_points}
    groups |= {"sayso", "no-such-group"}
    assert "console_scripts" in groups
    for group in sorted(groups):
        assert may_declare(group) == bool(entry_points(group=group)), group


@pytest.mark.parametrize(
    "text, declares",
    [
        ("[sayso]\nmine = my_plugin\n", True),
        ("  [sayso]  \n# comment\nmine = my_plugin\n", True),
        ("[console_scripts]\nsayso = cli:main\n", False),  # sayso's own entry point
        ("[sayso.extra]\nmine = my_plugin\n", False),
        ("[ sayso ]\nmine = my_plugin\n", False),  # importlib.metadata keeps the spaces
        ("", False),
        (None, False),  # no entry_points.txt at all
    ],
)
def test_reads_entry_points_txt_as_importlib_metadata_does(tmp_path, text, declares):
    dist(tmp_path, "other", "[console_scripts]\nother = other:main\n")
    dist(tmp_path, "candidate", text, suffix=".egg-info")
    assert may_declare("sayso", [str(tmp_path)]) is declares
    assert importlib_finds("sayso", [str(tmp_path)]) is declares


def test_whatever_it_cannot_read_as_directories_counts_as_declaring(tmp_path):
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("x-1.0.dist-info/entry_points.txt", "[sayso]\nx = x\n")
    egg = tmp_path / "y-1.0.egg"
    (egg / "EGG-INFO").mkdir(parents=True)
    undecodable = tmp_path / "site"
    undecodable.mkdir()
    (dist(undecodable, "z", None) / "entry_points.txt").write_bytes(b"[sayso\xff]\n")
    assert may_declare("sayso", [str(archive)])
    assert may_declare("sayso", [str(egg)])
    assert may_declare("sayso", [str(undecodable)])
    assert not may_declare("sayso", [str(tmp_path / "missing")])


def test_a_third_party_plugin_installed_with_an_entry_point_is_loaded(tmp_path, monkeypatch):
    dist(tmp_path, "sayso_third_party", "[sayso]\nthird-party = sayso_third_party_plugin\n")
    (tmp_path / "sayso_third_party_plugin.py").write_text(PLUGIN)
    assert "third-party" not in dict(get_plugin_manager().list_name_plugin())
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    pm = get_plugin_manager()
    assert "third-party" in dict(pm.list_name_plugin())
    assert "third-party-check" in {s.name for specs in pm.hook.register_checks() for s in specs}
    sys.modules.pop("sayso_third_party_plugin", None)
