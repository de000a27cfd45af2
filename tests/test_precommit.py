"""The `.pre-commit-hooks.yaml` of this checkout, run by the real `pre-commit` tool
against a repository of policies: a passing run, then hooks failing on a broken policy
(and refusing the commit)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ["sayso-validate", "sayso-lint", "sayso-test", "sayso-fmt"]

pytestmark = pytest.mark.slow


def test_manifest_is_valid_for_pre_commit():
    from pre_commit.clientlib import load_manifest

    hooks = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    assert [h["id"] for h in hooks] == HOOKS
    assert all(h["language"] == "python" and h["entry"] == "sayso" for h in hooks)


def _head() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
        )
    except OSError:
        pytest.skip("git is not installed")
    if out.returncode != 0:
        pytest.skip("this checkout is not a git repository")
    return out.stdout.strip()


@pytest.fixture
def policy_repo(tmp_path: Path):
    """A git repository of policies whose pre-commit config uses this checkout's hooks.

    `language: python` would `pip install` sayso into a new virtualenv (from PyPI); the
    config overrides it to `system` and puts a `sayso` that runs this checkout on PATH."""
    rev = _head()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "sayso"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{ROOT / "cli.py"}" "$@"\n')
    shim.chmod(0o755)
    repo = tmp_path / "governance"
    shutil.copytree(ROOT / "policies", repo / "policies")
    config = {
        "repos": [
            {
                "repo": str(ROOT),
                "rev": rev,
                "hooks": [{"id": h, "language": "system"} for h in HOOKS],
            }
        ]
    }
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "GIT_AUTHOR_NAME": "Nia",
        "GIT_AUTHOR_EMAIL": "nia@nmtw.example",
        "GIT_COMMITTER_NAME": "Nia",
        "GIT_COMMITTER_EMAIL": "nia@nmtw.example",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(tmp_path),
        "SAYSO_DB": f"sqlite:///{tmp_path / 'unused.db'}",
    }
    env.pop("SAYSO_POLICY", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=300)

    assert run("git", "init", "-q", "-b", "main").returncode == 0
    run("git", "add", "-A")
    return repo, run


def pre_commit(run, *args: str) -> subprocess.CompletedProcess:
    return run(sys.executable, "-m", "pre_commit", *args)


def test_hooks_pass_on_the_example_policy_and_fail_on_a_broken_one(policy_repo):
    repo, run = policy_repo
    ok = pre_commit(run, "run", "--all-files")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for name in ("sayso validate", "sayso lint", "sayso test", "sayso fmt --check"):
        assert any(
            line.startswith(name) and line.endswith("Passed") for line in ok.stdout.splitlines()
        ), ok.stdout

    assert pre_commit(run, "install").returncode == 0
    assert run("git", "commit", "-q", "-m", "The policy").returncode == 0

    rules = repo / "policies" / "rules.yaml"
    rules.write_text(rules.read_text().replace("allow: [group:lending]", "allow: [group:lendng]"))
    run("git", "add", "-A")
    failed = run("git", "commit", "-m", "A typo")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    out = failed.stdout + failed.stderr  # git shows a hook's output on stderr
    assert "sayso validate" in out and "Failed" in out
    assert "policies/rules.yaml:14:13: unknown group 'lendng'" in out
    assert "(did you mean 'lending'?)" in out
    assert "error invalid-policy" in out  # sayso lint fails too
    log = run("git", "log", "--oneline")
    assert len(log.stdout.splitlines()) == 1  # the broken policy was not committed


def test_fmt_hook_fails_on_an_unformatted_file(policy_repo):
    repo, run = policy_repo
    checks = repo / "policies" / "checks.yaml"
    checks.write_text(
        checks.read_text().replace("  - {use: max-length}", "  -   {use: max-length}")
    )
    run("git", "add", "-A")
    result = pre_commit(run, "run", "sayso-fmt", "--all-files")
    assert result.returncode == 1
    assert "would reformat policies/checks.yaml" in result.stdout
