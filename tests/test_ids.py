"""Row ids read from a command line, a URL or a JSON body: ASCII digits only."""

from __future__ import annotations

import pytest

from engine.errors import NotFound
from engine.inbound.items import item_key
from engine.workflow.views import stored_id, submission_key


@pytest.mark.parametrize("value", [7, "7", " 7 ", "0007"])
def test_a_plain_id_is_read(value):
    assert stored_id(value) == 7
    assert submission_key(value) == 7
    assert item_key(value) == 7


@pytest.mark.parametrize(
    "value",
    ["٧", "７", "1_0", "+1", "-1", "0", "1e3", "", " ", True, False, None, 1.0, 2**63, "9" * 30],
)
def test_anything_else_is_no_id(value):
    """int() reads Arabic-Indic and fullwidth digits, underscores, signs and booleans:
    none of them may name a row."""
    assert stored_id(value) is None
    with pytest.raises(NotFound, match="no submission"):
        submission_key(value)
    with pytest.raises(NotFound, match="no inbound item"):
        item_key(value)
