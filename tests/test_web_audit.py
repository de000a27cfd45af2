"""Auditor pages: filtered, paged log; streamed exports equal to AuditLog.export; verification."""

from __future__ import annotations

import csv
import io
import json
import re

from sqlalchemy import update

from engine.tables import audit_events


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
    for query in ("since=yesterday", "event=nope", "submission=abc", "cursor=-4", "tz=Mars/Base"):
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
    total = web_state.audit.count()
    first = client.get("/audit/").get_data(as_text=True)
    seqs = [int(n) for n in re.findall(r'id="event-(\d+)"', first)]
    assert seqs == list(range(total, total - 100, -1))  # newest first
    assert 'id="next-page"' in first and f"cursor={total - 99}" in first
    second = client.get(f"/audit/?cursor={total - 99}").get_data(as_text=True)
    assert [int(n) for n in re.findall(r'id="event-(\d+)"', second)] == list(
        range(total - 100, 0, -1)
    )
    assert 'id="next-page"' not in second and 'id="first-page"' in second
    end = client.get("/audit/?end=1").get_data(as_text=True)
    assert re.findall(r'id="event-(\d+)"', end)[-1] == "1"
    oldest = client.get("/audit/?order=oldest").get_data(as_text=True)
    assert re.findall(r'id="event-(\d+)"', oldest)[:2] == ["1", "2"]


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
    assert 'approve of revision 1 by <span class="person" title="fran">Fran Fox</span>' in html
    assert "fine by me" in html
    assert 'id="record-events"' in html
    assert as_user("audrey").get("/audit/submissions/999").status_code == 404


def test_search_in_text_actor_and_event_type(as_user, pending_sid, web_state):
    web_state.workflow.reject(pending_sid, "fran", "Tone 100% wrong_ly")
    web_state.workflow.submit("eli", "twitter/nmtw_help", "Glad to help!", kind="reply")
    client = as_user("audrey")

    def found(q):
        html = client.get("/audit/", query_string={"q": q}).get_data(as_text=True)
        return int(re.search(r'<span id="audit-total">(\d+)</span>', html).group(1))

    assert found("glad TO help") == 1  # the submitted text, any case
    assert 1 <= found("FRAN") < web_state.audit.count()  # an actor, any case
    assert found("rejected") >= 1  # an event type
    assert found("100%") == 1 and found("wrong_ly") == 1  # literal, not LIKE wildcards
    assert found("%") == 1 and found("_ly") == 1
    assert found("no such words") == 0


def test_every_event_links_to_its_record_and_reads_as_a_sentence(as_user, pending_sid, web_state):
    web_state.workflow.approve(pending_sid, "fran", comment="ok")
    html = as_user("audrey").get("/audit/").get_data(as_text=True)
    rows = re.findall(r'<tr id="event-\d+">.*?</tr>', html, re.S)
    with_sub = [r for r in rows if "submission" in r]
    assert with_sub and all(f'href="/audit/submissions/{pending_sid}"' in r for r in with_sub)
    assert "approved revision 1" in html and "{" not in html.split('id="audit-table"')[1]
    assert "The policy decided revision 1: needs sign-off." in html


def test_chain_status_on_the_log_page(as_user, pending_sid, web_state):
    client = as_user("audrey")
    assert "Hash chain: <strong>intact</strong>" in client.get("/audit/").get_data(as_text=True)
    with web_state.store.write() as conn:
        conn.execute(update(audit_events).where(audit_events.c.seq == 1).values(actor="mallory"))
    web_state.workflow.submit("eli", "facebook/nmtw", "Hello")  # a new head: checked again
    assert "<strong>BROKEN</strong>" in client.get("/audit/").get_data(as_text=True)


def test_date_pickers_time_zone_and_export_names(as_user, web_state):
    web_state.workflow.submit("eli", "facebook/nmtw", "Hello")
    client = as_user("audrey")
    html = client.get("/audit/").get_data(as_text=True)
    assert 'type="datetime-local" name="since"' in html and 'name="tz"' in html
    # 10:00 in Berlin (winter) is 09:00 UTC
    response = client.get(
        "/audit/export.csv?since=2026-01-05T10:00&until=2026-01-06T00:00&tz=Europe/Berlin"
    )
    disposition = response.headers["Content-Disposition"]
    assert disposition.endswith("filename=sayso-audit_2026-01-05T0900Z_to_2026-01-05T2300Z.csv")
    plain = client.get("/audit/export.jsonl?submission=1").headers["Content-Disposition"]
    assert plain.endswith("filename=sayso-audit_submission-1.jsonl")
    assert (
        client.get("/audit/export.jsonl")
        .headers["Content-Disposition"]
        .endswith("filename=sayso-audit.jsonl")
    )
    # the typed range and zone stay in the download links
    page = client.get("/audit/?since=2026-01-05T10:00&tz=Europe/Berlin").get_data(as_text=True)
    assert "since=2026-01-05T10:00" in page and "tz=Europe/Berlin" in page
