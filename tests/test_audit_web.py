"""The auditor's chain page: records checked too, the current head, heads kept earlier."""

from __future__ import annotations

from sqlalchemy import update

from engine.checkpoint import current_head
from engine.tables import revisions


def test_chain_page_shows_the_head_and_checks_records(as_user, pending_sid, web_state):
    client = as_user("audrey")
    html = client.get("/audit/verify").get_data(as_text=True)
    head = current_head(web_state.store)
    assert "Intact" in html and "stored records agree" in html
    assert f'<code id="head">{head.seq}:{head.hash}</code>' in html
    with web_state.store.write() as conn:
        conn.execute(update(revisions).values(text="Something else entirely."))
    html = client.get("/audit/verify").get_data(as_text=True)
    assert "BROKEN" in html and "does not hash to its recorded SHA-256" in html


def test_chain_page_checks_a_kept_head(as_user, pending_sid, web_state):
    client = as_user("audrey")
    head = current_head(web_state.store)
    ok = client.get("/audit/verify", query_string={"head": str(head)}).get_data(as_text=True)
    assert "Intact" in ok and "1 head(s) held" in ok
    forged = f"{head.seq}:{'0' * 64}"
    bad = client.get("/audit/verify", query_string={"head": forged}).get_data(as_text=True)
    assert "BROKEN" in bad and "now has hash" in bad


def test_chain_page_bad_head_is_a_message_not_an_error(as_user, pending_sid):
    response = as_user("audrey").get("/audit/verify", query_string={"head": "nonsense\u202e"})
    assert response.status_code == 200
    assert "is not a head" in response.get_data(as_text=True)


def test_chain_page_is_for_auditors(as_user, pending_sid):
    assert as_user("dana").get("/audit/verify").status_code == 403


def test_record_page_names_preparer_and_approvers(as_user, pending_sid, web_state):
    web_state.workflow.approve(pending_sid, "fran")
    html = as_user("audrey").get(f"/audit/submissions/{pending_sid}").get_data(as_text=True)
    assert 'id="record-communication"' in html
    assert "Dana Diaz (dana)" in html and "Fran Fox (fran)" in html
    sub = web_state.workflow.get(pending_sid)
    assert sub.text_sha256 in html
