"""The outbox publisher: one fsynced JSON line per publication, `PATH@OFFSET` references (where the line starts),
no interleaving between processes."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.compiler import load_engine
from engine.hookspecs import Publication, PublishError
from engine.plugins import get_plugin_manager, publishers
from engine.store import Store
from engine.workflow import Workflow
from plugins.outbox import Outbox

ROOT = Path(__file__).resolve().parent.parent
POLICY = Path(__file__).parent / "fixtures" / "policies" / "workflow"

PUBLICATION = Publication(
    submission_id="7",
    revision=2,
    channel="twitter/help",
    kind="reply",
    author="ann",
    text="Grüße — see you at the branch.\nLine two.",
    text_sha256="ab" * 32,
    approved_by=("cat", "dan"),
    policy_version="cd" * 32,
    publish_at=datetime(2026, 5, 4, 11, 30, tzinfo=UTC),
)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_appends_every_field_as_one_json_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outbox = publishers(get_plugin_manager(load_entrypoints=False))["outbox"].build({})
    before = datetime.now(UTC)
    assert outbox.publish(PUBLICATION) == "outbox.jsonl@0"
    size = (tmp_path / "outbox.jsonl").stat().st_size
    assert outbox.publish(PUBLICATION) == f"outbox.jsonl@{size}"
    first, second = lines(tmp_path / "outbox.jsonl")
    assert first == second | {"published_at": first["published_at"]}
    assert first["text"] == PUBLICATION.text  # the newline stays inside the JSON string
    assert first["approved_by"] == ["cat", "dan"]
    assert first["publish_at"] == "2026-05-04T11:30:00+00:00"
    assert datetime.fromisoformat(first["published_at"]) >= before
    expected = {
        "submission_id", "revision", "channel", "kind", "author", "text",
        "text_sha256", "approved_by", "policy_version", "publish_at", "published_at",
        "idempotency_key",
    }  # fmt: skip
    assert set(first) == expected


def test_path_option_creates_directories_and_no_schedule_is_null(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    unscheduled = replace(PUBLICATION, publish_at=None)
    assert Outbox(path="out/posts.jsonl").publish(unscheduled) == "out/posts.jsonl@0"
    [record] = lines(tmp_path / "out" / "posts.jsonl")
    assert record["publish_at"] is None


def test_a_torn_last_line_is_ended_before_the_next_record(tmp_path):
    path = tmp_path / "outbox.jsonl"
    torn = b'{"text": "whole"}\n{"text": "cut sh'
    path.write_bytes(torn)
    assert Outbox(str(path)).publish(PUBLICATION) == f"{path}@{len(torn) + 1}"
    raw = path.read_bytes().splitlines()
    assert raw[1] == b'{"text": "cut sh'
    assert json.loads(raw[2])["submission_id"] == "7"


def test_unwritable_outbox_is_a_one_line_publish_error(tmp_path):
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(PublishError, match="cannot write the outbox") as info:
        Outbox(str(tmp_path / "dir.jsonl")).publish(PUBLICATION)
    assert "\n" not in str(info.value)


WRITER = """
import json, sys
from dataclasses import replace
sys.path.insert(0, sys.argv[1])
from tests.test_outbox import PUBLICATION
from plugins.outbox import Outbox
outbox, worker = Outbox(sys.argv[2]), sys.argv[3]
refs = {}
for i in range(20):
    sid = f"{worker}-{i}"
    refs[sid] = outbox.publish(replace(PUBLICATION, submission_id=sid, text=worker * 70000))
print(json.dumps(refs))
"""


def test_processes_writing_at_once_never_interleave_lines(tmp_path):
    path = tmp_path / "outbox.jsonl"
    workers = "abcd"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(ROOT), str(path), w],
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in workers
    ]
    refs: dict[str, str] = {}
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        refs |= json.loads(out)
    records = lines(path)  # every line parses: nothing interleaved
    assert len(records) == len(refs) == 80
    for record in records:
        assert record["text"] == record["submission_id"][0] * 70000
    data = path.read_bytes()
    for sid, ref in refs.items():  # each reference is where the line of its publication starts
        name, offset = ref.rsplit("@", 1)
        line = data[int(offset) : data.index(b"\n", int(offset))]
        assert name == str(path) and json.loads(line)["submission_id"] == sid


def test_workflow_records_the_line_reference(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wf = Workflow(load_engine(str(POLICY)), Store.create(f"sqlite:///{tmp_path / 's.db'}"))
    first = wf.submit("ann", "twitter/help", "Happy to help!", kind="reply")
    second = wf.submit("bob", "twitter/help", "Glad it worked.", kind="reply")
    refs = [wf.record(s.id).publications[0]["ref"] for s in (first, second)]
    first_line = (tmp_path / "outbox.jsonl").read_bytes().index(b"\n") + 1
    assert refs == ["outbox.jsonl@0", f"outbox.jsonl@{first_line}"]
    assert [r["text"] for r in lines(tmp_path / "outbox.jsonl")] == [
        "Happy to help!",
        "Glad it worked.",
    ]
    wf.store.close()
