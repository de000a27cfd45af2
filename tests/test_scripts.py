"""scripts/bootstrap installs only what is missing: `scripts/serve` after `scripts/test`
does not reinstall (the test install includes everything serve needs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    if subprocess.run(["python3", "-c", "import venv, ensurepip"]).returncode != 0:
        pytest.skip("python3-venv is not installed here")
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "bootstrap", tmp_path / "scripts" / "bootstrap")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\necho "$@" >> "{tmp_path / "pip.log"}"\n')
    python.chmod(0o755)
    return tmp_path


def bootstrap(checkout: Path, *args: str) -> list[str]:
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    subprocess.run(["bash", "scripts/bootstrap", *args], cwd=checkout, env=env, check=True)
    log = checkout / "pip.log"
    return log.read_text().splitlines() if log.exists() else []


def test_serve_after_test_installs_nothing(checkout):
    (checkout / ".venv" / ".sayso-installed[test]").touch()  # what scripts/test leaves
    assert bootstrap(checkout) == []


def test_install_runs_when_nothing_is_installed(checkout):
    assert any("install" in line and "-e ." in line for line in bootstrap(checkout))
    (checkout / "pip.log").unlink()
    assert bootstrap(checkout) == []  # the stamp now says it is done


def test_changed_pyproject_reinstalls(checkout):
    stamp = checkout / ".venv" / ".sayso-installed[test]"
    stamp.touch()
    later = time.time() + 5
    os.utime(checkout / "pyproject.toml", (later, later))
    assert any("-e ." in line for line in bootstrap(checkout))


def test_the_venv_is_made_from_the_distribution_python(tmp_path: Path):
    """Debian's /usr/bin/python3 (built with profile-guided optimization) is preferred
    to whatever `python3` comes first on PATH, when it is 3.11 or newer."""
    system = Path("/usr/bin/python3")
    check = [str(system), "-c", "import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))"]
    if not system.exists() or subprocess.run(check).returncode != 0:
        pytest.skip("no distribution Python 3.11+ with venv here")
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "bootstrap", tmp_path / "scripts" / "bootstrap")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / ".sayso-installed").touch()  # packages "installed": no pip run
    first = tmp_path / "first-on-path"
    first.mkdir()
    (first / "python3").symlink_to(system)  # another python3, first on PATH
    env = {**os.environ, "PATH": f"{first}:/usr/bin:/bin"}
    subprocess.run(["bash", "scripts/bootstrap"], cwd=tmp_path, env=env, check=True)
    config = (tmp_path / ".venv" / "pyvenv.cfg").read_text()
    assert "home = /usr/bin\n" in config
