"""Times for people: the policy's default `timezone:`, the viewer's zone in the browser
(web/static/time.js), and no raw ISO stamps on the pages."""

from __future__ import annotations

import re

import pytest

from engine.compiler import load_engine
from engine.errors import PolicyError
from tests.webhelpers import CLOSURE, POLICY, WebClient, write_policy


def test_policy_timezone_is_read_and_defaults_to_utc(tmp_path):
    assert load_engine(str(write_policy(tmp_path / "a"))).policy.timezone == "UTC"
    zoned = write_policy(tmp_path / "b", "timezone: Europe/Berlin\n" + POLICY)
    assert load_engine(str(zoned)).policy.timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    "value, message",
    [
        ("Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("../../etc/passwd", "unknown time zone"),
        ("42", "timezone"),
        ("[Europe/Berlin]", "timezone"),
    ],
)
def test_a_bad_timezone_is_a_validation_error_at_its_line(tmp_path, value, message):
    directory = write_policy(tmp_path / "p", POLICY + f"timezone: {value}\n")
    with pytest.raises(PolicyError) as err:
        load_engine(str(directory))
    line = POLICY.count("\n") + 1
    assert f"policy.yaml:{line}:" in str(err.value) and message in str(err.value)


def test_timezone_set_twice_is_an_error(tmp_path):
    directory = write_policy(tmp_path / "p", "timezone: Europe/Berlin\n" + POLICY)
    (directory / "more.yaml").write_text("timezone: Asia/Tokyo\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="timezone is also set at"):
        load_engine(str(directory))


def test_pages_show_times_in_the_policy_zone_with_utc_in_the_markup(make_app, web_policy):
    from engine import accounts

    write_policy(web_policy, "timezone: Asia/Tokyo\n" + POLICY)
    app = make_app()
    state = app.extensions["sayso"]
    accounts.set_password(state.store, "fran", "correct horse battery")
    sid = state.workflow.submit("dana", "facebook/nmtw", CLOSURE).id
    html = WebClient(app.test_client()).login("fran").get(f"/submissions/{sid}").get_data(True)
    stamp = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', html)
    assert stamp.group(1).endswith("Z") and stamp.group(2).endswith(" JST")
    assert '<script src="/static/time.js" defer></script>' in html


def test_the_time_script_is_served_and_converts_time_elements(client):
    response = client.get("/static/time.js")
    script = response.get_data(as_text=True)
    response.close()
    assert 'querySelectorAll("time[datetime]")' in script and "data-viewer-zone" in script


def test_dashboard_has_no_raw_iso_stamps(as_user, pending_sid):
    html = as_user("adam").get("/policy/dashboard").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", " ", html)  # what a person reads, not attributes
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text)


def test_delegation_until_is_read_in_the_viewer_zone(as_user, web_state):
    fran = as_user("fran")
    fran.form(
        "/delegations", {"to_user": "tess", "until": "2099-01-01T09:00", "tz": "America/New_York"}
    )
    [d] = web_state.workflow.delegations("fran")
    assert d.until.isoformat() == "2099-01-01T14:00:00+00:00"
