"""`sayso init DIR`: a small working example policy, with tests, to start from."""

from __future__ import annotations

import json
import os

from .errors import SaysoError
from .schema import policy_schema, policy_tests_schema

POLICY_MODELINE = "# yaml-language-server: $schema=.sayso/policy.schema.json\n"
TESTS_MODELINE = "# yaml-language-server: $schema=../.sayso/tests.schema.json\n"

POLICY = (
    POLICY_MODELINE
    + """\
# An example sayso policy: edit it, then run `sayso validate` and `sayso test`.
# Every section may live in any *.yaml file of this directory; tests/ holds the tests.
version: 1
users:
  ana: {name: Ana Alves, email: ana@example.com}
  ben: {name: Ben Boyd, email: ben@example.com}
  cleo: {name: Cleo Chan, email: cleo@example.com}
  dev: {name: Dev Das, email: dev@example.com}
groups:
  support: {members: [ana], includes: [support-leads]}
  support-leads: {members: [ben]}
  comms: {members: [cleo]}
  interns: {members: [dev]}
channels:
  twitter/example_help: {platform: twitter, max_length: 280}
  linkedin/example: {platform: linkedin, max_length: 3000}
rules:
  - id: support-replies
    allow: [group:support]
    channels: ["twitter/*"]
    kinds: [reply]
  - id: comms-posts
    allow: [group:comms, group:interns]
    channels: ["*"]
  - id: no-interns-on-linkedin
    deny: [group:interns]
    channels: ["linkedin/*"]
topics:
  complaints:
    keywords: [complaint, refund, unacceptable]
    requires: {signoff: [group:support-leads]}
    escalation: complaint-chain
  pricing:
    keywords: [price, discount]
    action: deny
    message: Prices are announced by comms only.
    except: [group:comms]
escalations:
  complaint-chain:
    - {after: 2h, to: [group:support-leads]}
    - {after: 1d, to: [user:cleo]}
inbound:                     # customer messages: first matching route wins
  routes:
    - id: complaints
      topics: [complaints]
      channels: ["twitter/*"]
      owners: [group:support-leads]
      respond_within: 2h
      escalation: complaint-chain
  default: {owners: [group:support], respond_within: 8h}
checks:
  - {use: max-length}
roles:
  auditors: [group:support-leads]
  admins: [group:comms]
  integrations: [group:comms]
"""
)

TESTS = (
    TESTS_MODELINE
    + """\
# Policy tests: run `sayso test --coverage`.
tests:
  - name: support may reply on twitter
    post: {author: ana, channel: twitter/example_help, kind: reply, text: "Sorry to hear that!"}
    expect: approved
    reasons_include: [support-replies]
  - name: support may not start a post
    post: {author: ana, channel: twitter/example_help, text: "We are open on Monday."}
    expect: denied
    reasons_include: [default-deny]
  - name: a complaint needs a support lead
    post: {author: ana, channel: twitter/example_help, kind: reply, text: "Your complaint is with us."}
    expect: needs_signoff
    requires: [complaints]
  - name: only comms talks about prices
    post: {author: ana, channel: twitter/example_help, kind: reply, text: "Ask about our discount."}
    expect: denied
    reasons_include: [pricing]
  - name: comms may talk about prices
    post: {author: cleo, channel: linkedin/example, text: "Our new price list is out."}
    expect: approved
    reasons_include: [comms-posts]
  - name: interns may not post to linkedin
    post: {author: dev, channel: linkedin/example, text: "Hello!"}
    expect: denied
    reasons_include: [no-interns-on-linkedin]
  - name: too long for twitter
    post: {author: cleo, channel: twitter/example_help, text: "LONG_TEXT"}
    expect: denied
    reasons_include: [max-length]
""".replace("LONG_TEXT", ("Long post. " * 30).strip())
)

FILES = {"policy.yaml": POLICY, os.path.join("tests", "policy_test.yaml"): TESTS}
# The JSON Schemas the files' modelines point at (editors: docs/editors.md).
SCHEMAS = {
    os.path.join(".sayso", "policy.schema.json"): "policy",
    os.path.join(".sayso", "tests.schema.json"): "tests",
}


class ScaffoldError(SaysoError):
    """The target of `init` cannot be used."""


def write_example(directory: str | os.PathLike) -> list[str]:
    """Write the example into `directory` (new or empty); the paths written, in order."""
    target = os.fspath(directory)
    if os.path.exists(target):
        if not os.path.isdir(target):
            raise ScaffoldError(f"{target} exists and is not a directory")
        if os.listdir(target):
            raise ScaffoldError(f"{target} is not empty; choose a new or empty directory")
    written = []
    for name, text in FILES.items():
        path = os.path.join(target, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
        written.append(path)
    for name, which in SCHEMAS.items():
        path = os.path.join(target, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:
            json.dump(
                policy_schema() if which == "policy" else policy_tests_schema(), handle, indent=2
            )
            handle.write("\n")
        written.append(path)
    return written
