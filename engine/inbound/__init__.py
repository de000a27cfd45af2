"""Inbound listening: customer messages routed to owners, escalated by the SLA clock.

- `policy`: the `inbound:` section (merge, semantic checks, model);
- `routing`: which route a message takes (topics detected as for posts);
- `tables`: the store tables;
- `items`: the `InboundItem` view and input checks;
- `lifecycle`: receive, close, answer, escalate (`Inbound`);
- `importer`: JSONL and CSV files.

Submodules are imported where used: the loader needs `policy` before the store exists.
"""
