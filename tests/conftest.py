"""Shared fixtures. Area-specific fixtures live in tests/fixtures_*.py, loaded below."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("SAYSO_TESTING", "1")
# The policy cache of the commands tests run: one fresh directory per test process.
os.environ.setdefault("SAYSO_CACHE_DIR", tempfile.mkdtemp(prefix="sayso-test-cache-"))

import tests.profiles  # noqa: E402,F401  (hypothesis profile: quick locally, thorough in CI)

pytest_plugins: list[str] = ["tests.webhelpers", "tests.fixtures_engine", "tests.pgserver"]
