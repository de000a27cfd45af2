"""The `sayso` commands, one module per area; `cli.py` holds the group that registers
them and maps errors to exit codes. Each command parses, calls the engine and prints."""
