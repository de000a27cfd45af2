"""Auditor pages: filtered, paged log; streamed exports equal to AuditLog.export; verification."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import update

from engine.store import audit_events


def test_log_filters_and_counts(as_user, pending_sid, web_state):
    web_state.workflow.submit("eli", "twitter/nmtw_help", "Glad to help!", kind="reply")
    client = as_user("audrey")
    everything = client.get("/audit/").get_data(as_text=True)
    total = web_state.audit.count()
    assert f'<span id="audit-total">{total}</span>' in everything
    html = client.get("/audit/?author=eli&event=submitted").get_data(as_text=True)
    assert '<span id="audit-total">1</span>' in html
    html = client.get(f"/audit/?submission={pending_sid}").get_data(as_text=True)
    assert f'<span id="audit-total">{web_state.audit.count(submission=pending_sid)}</span>' in html
    html = client.get("/audit/?since=2999-01-01T00:00:00Z").get_data(as_text=True)
    assert '<span id="audit-total">0</span>' in html


def test_bad_filters_are_reported_not_500(as_user):
    client = as_user("audrey")
    for query in ("since=yesterday", "event=nope", "submission=abc", "after=-4"):
        response = client.get(f"/audit/?{query}&author=dana")
        assert response.status_code == 400, query
        html = response.get_data(as_text=True)
        assert 'value="dana"' in html  # the form is kept as typed
        assert '<span id="audit-total">0</span>' in html  # and no unfiltered log is shown
    assert client.get("/audit/export.jsonl?since=yesterday").status_code == 400
    assert client.get("/audit/export.xml").status_code == 404


def test_log_pages_by_sequence(as_user, web_state):
    for n in range(60):  # two events each
        web_state.workflow.submit("dana", "facebook/nmtw", f"Hello {n}")
    client = as_user("audrey")
    first = client.get("/audit/").get_data(as_text=True)
    assert 'id="next-page"' in first
    second = client.get("/audit/?after=100").get_data(as_text=True)
    assert "<td>101</td>" in second and 'id="next-page"' not in second


def test_exports_match_the_audit_log(as_user, pending_sid, web_state):
    client = as_user("audrey")
    for fmt in ("jsonl", "csv"):
        expected = io.StringIO()
        web_state.audit.export(expected, fmt, submission=pending_sid)
        response = client.get(f"/audit/export.{fmt}?submission={pending_sid}")
        assert response.status_code == 200
        assert response.is_streamed
        assert response.get_data(as_text=True) == expected.getvalue()
        assert "attachment" in response.headers["Content-Disposition"]
    lines = client.get("/audit/export.jsonl").get_data(as_text=True).splitlines()
    assert [json.loads(line)["seq"] for line in lines] == list(range(1, len(lines) + 1))
    rows = list(csv.reader(io.StringIO(client.get("/audit/export.csv").get_data(as_text=True))))
    assert rows[0][:2] == ["seq", "ts"] and len(rows) == len(lines) + 1


def test_verify_reports_intact_and_broken_chains(as_user, pending_sid, web_state):
    client = as_user("audrey")
    assert "Intact" in client.get("/audit/verify").get_data(as_text=True)
    with web_state.store.write() as conn:
        conn.execute(update(audit_events).where(audit_events.c.seq == 2).values(actor="mallory"))
    html = client.get("/audit/verify").get_data(as_text=True)
    assert "BROKEN" in html and '<strong id="first-bad">2</strong>' in html


def test_full_record_of_any_submission(as_user, pending_sid, web_state):
    web_state.workflow.approve(pending_sid, "fran", comment="fine by me")
    html = as_user("audrey").get(f"/audit/submissions/{pending_sid}").get_data(as_text=True)
    assert "approve of revision 1 by fran" in html and "fine by me" in html
    assert 'id="record-events"' in html
    assert as_user("audrey").get("/audit/submissions/999").status_code == 404
