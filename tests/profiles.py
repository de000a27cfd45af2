"""How hard the property tests try: thorough in CI (`CI=true`, or `SAYSO_THOROUGH=1`
locally), quick otherwise. Loaded by conftest.py before any test runs."""

from __future__ import annotations

import os

from hypothesis import settings

THOROUGH = os.environ.get("CI", "").lower() == "true" or os.environ.get("SAYSO_THOROUGH") == "1"

settings.register_profile("thorough", max_examples=200, deadline=None)
settings.register_profile("quick", max_examples=20, deadline=None)
settings.load_profile("thorough" if THOROUGH else "quick")


def examples(thorough: int) -> int:
    """`thorough` examples in CI; a tenth of them (at least 10) locally."""
    return thorough if THOROUGH else max(10, thorough // 10)
