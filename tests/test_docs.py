"""The documentation stays true: its policy examples load, its plugin examples work.

docs/policy.md: every ```yaml block is checked one way or the other, chosen by an
HTML comment on the line just before it:

- no comment: a complete policy; written alone to a directory, it must validate;
- `<!-- fragment -->`: merged (as one more file) onto a copy of the example policy
  in policies/, which must still validate;
- `<!-- policy-test -->`: policy test cases; they must pass against the example policy;
- `<!-- invalid: NAME -->`: added as NAME to a copy of the example policy, it must make
  `sayso validate` print exactly what the ```console block right after it shows.

A block after `<!-- file: NAME -->` (e.g. a CSV) is written as NAME beside every
policy the yaml blocks are checked in. Every key of the JSON Schema's sections and of
its rule, topic and check items must be mentioned in docs/policy.md.

docs/plugins.md: the complete plugin (`<!-- example: plugin -->`), the policy that
uses it (`<!-- example: policy -->`) and the test that shows how to test a plugin
(`<!-- example: test -->`) are run. README.md's "Plugins" example is run too.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from engine.compiler import load_engine
from engine.errors import PolicyError
from engine.model import Outcome, Post
from engine.plugins import get_plugin_manager
from engine.policies import validate_policy
from engine.policytest import run_policy_tests
from engine.schema import policy_schema

ROOT = Path(__file__).resolve().parent.parent
POLICY_DOC = ROOT / "docs" / "policy.md"
PLUGINS_DOC = ROOT / "docs" / "plugins.md"
README = ROOT / "README.md"
EXAMPLE_POLICY = ROOT / "policies"

_FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
_MARKER = re.compile(r"<!--\s*(.*?)\s*-->\s*\Z", re.S)
BLOCK_KINDS = ("complete", "fragment", "policy-test", "invalid")


class Block:
    def __init__(self, lang: str, text: str, marker: str, line: int):
        self.lang = lang
        self.text = text
        self.marker = marker
        self.line = line

    def __repr__(self) -> str:
        return f"{self.lang} block at line {self.line}"


def blocks(path: Path) -> list[Block]:
    """Fenced blocks of a Markdown file, each with the HTML comment just before it."""
    source = path.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(source):
        before = source[: match.start()].rstrip()
        last_line = before.rsplit("\n", 1)[-1]
        marker = _MARKER.search(last_line)
        line = source.count("\n", 0, match.start()) + 1
        found.append(Block(match.group(1), match.group(2), marker.group(1) if marker else "", line))
    return found


def fresh_pm(*modules):
    pm = get_plugin_manager(load_entrypoints=False)
    for module in modules:
        pm.register(module)
    return pm


def problems_text(result) -> str:
    return "\n".join(str(problem) for problem in result.errors)


# ---- docs/policy.md: yaml blocks ---------------------------------------------------------

POLICY_BLOCKS = blocks(POLICY_DOC)
YAML_BLOCKS = [b for b in POLICY_BLOCKS if b.lang == "yaml"]
FILES = {
    b.marker.split(":", 1)[1].strip(): b.text for b in POLICY_BLOCKS if b.marker.startswith("file:")
}


def kind_of(block: Block) -> str:
    return block.marker.split(":", 1)[0] or "complete"


def write_files(directory: Path) -> None:
    for name, text in FILES.items():
        (directory / name).write_text(text, encoding="utf-8")


def test_policy_doc_has_each_kind_of_yaml_block():
    kinds = {kind_of(b) for b in YAML_BLOCKS}
    assert kinds == set(BLOCK_KINDS)
    assert len(YAML_BLOCKS) >= 6


@pytest.mark.parametrize("block", YAML_BLOCKS, ids=repr)
def test_policy_doc_yaml_block(block: Block, tmp_path: Path, monkeypatch):
    kind = kind_of(block)
    assert kind in BLOCK_KINDS, f"{block}: unknown marker <!-- {block.marker} -->"
    data = yaml.safe_load(block.text)
    assert isinstance(data, dict), f"{block} is not a mapping"
    pm = fresh_pm()

    if kind == "policy-test":
        tests = tmp_path / "tests"
        tests.mkdir()
        (tests / "doc.yaml").write_text(block.text, encoding="utf-8")
        report = run_policy_tests(load_engine(str(EXAMPLE_POLICY), pm), tests)
        assert report.cases, f"{block} has no cases"
        failed = [c.name for c in report.cases if not c.passed]
        assert not failed, f"{block}: failing cases {failed}"
        return

    if kind == "invalid":
        name = block.marker.split(":", 1)[1].strip()
        following = POLICY_BLOCKS[POLICY_BLOCKS.index(block) + 1]
        assert following.lang == "console", f"{block} must be followed by the output"
        expected = [ln for ln in following.text.splitlines() if ln and not ln.startswith("$")]
        monkeypatch.chdir(tmp_path)
        shutil.copytree(EXAMPLE_POLICY, "policies", ignore=shutil.ignore_patterns("tests"))
        Path("policies", name).write_text(block.text, encoding="utf-8")
        result = validate_policy("policies", pm)
        printed = [str(problem) for problem in result.errors]
        printed += [f"{w.loc}: warning: {w.message}" for w in result.warnings]
        assert not result.valid
        assert printed == expected
        return

    sections = set(policy_schema()["properties"])
    assert set(data) <= sections, f"{block}: not policy sections: {set(data) - sections}"
    if kind == "complete":
        policy_dir = tmp_path / "policy"
        policy_dir.mkdir()
    else:
        policy_dir = tmp_path / "policies"
        shutil.copytree(EXAMPLE_POLICY, policy_dir, ignore=shutil.ignore_patterns("tests"))
    write_files(policy_dir)
    (policy_dir / "zz-doc-example.yaml").write_text(block.text, encoding="utf-8")
    result = validate_policy(str(policy_dir), pm)
    assert result.valid, f"{block} ({kind}) does not validate:\n{problems_text(result)}"


def test_fragments_add_to_the_example_policy(tmp_path: Path):
    """A fragment that silently redefined nothing new would test nothing."""
    for block in YAML_BLOCKS:
        if kind_of(block) == "fragment":
            data = yaml.safe_load(block.text)
            assert any(data.get(section) for section in data), f"{block} is empty"


# ---- docs/policy.md: every schema key is documented ---------------------------------------


def _keys(schema_def: dict) -> set[str]:
    return set(schema_def.get("properties", {}))


def documented_keys() -> dict[str, set[str]]:
    schema = policy_schema()
    defs = schema["$defs"]
    keys = {"top level": set(schema["properties"])}
    keys["roles"] = _keys(schema["properties"]["roles"])
    for name in ("user", "group", "channel", "rule", "topic", "signoff", "escalationLevel"):
        keys[name] = _keys(defs[name])
    for name in ("check", "waiver", "pluginConfig"):
        keys[name] = _keys(defs[name])
    return keys


@pytest.mark.parametrize("where", sorted(documented_keys()))
def test_policy_doc_mentions_every_schema_key(where: str):
    text = POLICY_DOC.read_text(encoding="utf-8")
    keys = documented_keys()[where]
    assert keys
    missing = sorted(k for k in keys if f"`{k}`" not in text)
    assert not missing, f"docs/policy.md does not mention these {where} keys: {missing}"


def test_policy_doc_mentions_topic_rule_and_check_keys_in_their_own_table():
    """Each key of a rule, topic and check appears as a row of that section's table."""
    text = POLICY_DOC.read_text(encoding="utf-8")
    defs = policy_schema()["$defs"]
    for section, name in (("rules", "rule"), ("topics", "topic"), ("checks", "check")):
        start = text.index(f"### `{section}`")
        end = text.index("\n### ", start + 1)
        part = text[start:end]
        missing = sorted(k for k in defs[name]["properties"] if f"| `{k}` |" not in part)
        assert not missing, f"section {section} of docs/policy.md lacks rows for {missing}"


def test_policy_doc_mentions_every_builtin_plugin_option():
    text = POLICY_DOC.read_text(encoding="utf-8")
    pm = fresh_pm()
    from engine import plugins

    specs = {
        **plugins.checks(pm),
        **plugins.directory_sources(pm),
        **plugins.publishers(pm),
        **plugins.notifiers(pm),
    }
    assert specs
    for name, spec in specs.items():
        assert f"`{name}`" in text, f"docs/policy.md does not mention plugin {name}"
        for option in spec.options_schema:
            assert f"`{option}`" in text, f"option {option} of {name} is not documented"


# ---- plugin examples ----------------------------------------------------------------------


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def example(kind: str) -> Block:
    found = [b for b in blocks(PLUGINS_DOC) if b.marker == f"example: {kind}"]
    assert len(found) == 1, f"docs/plugins.md needs one block marked <!-- example: {kind} -->"
    return found[0]


def module_name(block: Block) -> str:
    first = block.text.splitlines()[0]
    match = re.fullmatch(r"#\s*(\w+)\.py\s*", first)
    assert match, f"{block} should start with '# NAME.py'"
    return match.group(1)


def test_plugins_doc_marks_its_examples():
    assert example("plugin").lang == "python"
    assert example("test").lang == "python"
    assert example("policy").lang == "yaml"


def test_plugins_doc_example_plugin_works(tmp_path: Path):
    plugin = example("plugin")
    name = module_name(plugin)
    (tmp_path / f"{name}.py").write_text(plugin.text, encoding="utf-8")
    module = load_module(tmp_path / f"{name}.py", f"docs_example_{name}")
    pm = fresh_pm(module)
    policy_dir = tmp_path / "example-policy"
    policy_dir.mkdir()
    (policy_dir / "policy.yaml").write_text(example("policy").text, encoding="utf-8")

    engine = load_engine(str(policy_dir), pm)
    [config] = engine.policy.checks
    options = config.options_dict()
    assert config.use == "disclaimer"
    assert options["ignore_case"] is True  # the schema's default, filled in

    word, disclaimer = options["when"][0], options["text"]
    text = f"Open a {word.upper()} today!"
    denied = engine.decide(Post("hana", "facebook/nmtw", text))
    assert denied.decision == Outcome.DENIED
    assert [r.id for r in denied.reasons] == ["disclaimer"]
    assert word.casefold() in denied.reasons[0].message.casefold()
    fine = engine.decide(Post("hana", "facebook/nmtw", f"{text} {disclaimer}"))
    assert fine.decision == Outcome.APPROVED
    plain = engine.decide(Post("hana", "facebook/nmtw", "Happy teacher appreciation week!"))
    assert plain.decision == Outcome.APPROVED

    # without the plugin, the same policy is refused at the check's `use:`
    with pytest.raises(PolicyError) as caught:
        load_engine(str(policy_dir), fresh_pm())
    assert any("unknown check 'disclaimer'" in p.message for p in caught.value.problems)


def test_plugins_doc_example_test_passes(tmp_path: Path):
    plugin, test = example("plugin"), example("test")
    (tmp_path / f"{module_name(plugin)}.py").write_text(plugin.text, encoding="utf-8")
    (tmp_path / f"{module_name(test)}.py").write_text(test.text, encoding="utf-8")
    policy_dir = tmp_path / "example-policy"
    policy_dir.mkdir()
    (policy_dir / "policy.yaml").write_text(example("policy").text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{module_name(test)}.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout


def test_plugins_doc_bad_option_output_matches_the_example_plugin(tmp_path: Path):
    """The `validate` output shown under Options is what the example plugin gives."""
    plugin = example("plugin")
    (tmp_path / "plugin.py").write_text(plugin.text, encoding="utf-8")
    pm = fresh_pm(load_module(tmp_path / "plugin.py", "docs_example_bad_option"))
    policy_dir = tmp_path / "policies"
    policy_dir.mkdir()
    # the example policy with a second, broken entry appended to its `checks:`
    text = example("policy").text + "  - {id: loans, use: disclaimer, when: loan, txt: x}\n"
    (policy_dir / "checks.yaml").write_text(text, encoding="utf-8")
    result = validate_policy(str(policy_dir), pm)
    shown = {f"{p.loc.line}:{p.loc.col}: {p.message}" for p in result.errors}
    doc = PLUGINS_DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"policies/checks\.yaml:(\d+:\d+: .*)", doc))
    assert documented
    assert documented == shown


# ---- README.md's plugin example -----------------------------------------------------------


def readme_plugins_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Plugins")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_readme_plugin_example_works(tmp_path: Path):
    section = readme_plugins_section()
    [code] = re.findall(r"```python\n(.*?)```", section, re.S)
    [toml] = re.findall(r"```toml\n(.*?)```", section, re.S)
    name = re.match(r"#\s*(\w+)\.py", code).group(1)
    assert "[project.entry-points.sayso]" in toml
    assert f'"{name}"' in toml
    [snippet] = re.findall(r"`(checks: [^`\n]+)`", section)
    [entry] = yaml.safe_load(snippet)["checks"]

    (tmp_path / f"{name}.py").write_text(code, encoding="utf-8")
    pm = fresh_pm(load_module(tmp_path / f"{name}.py", f"readme_example_{name}"))
    policy_dir = tmp_path / "policy"
    policy_dir.mkdir()
    (policy_dir / "policy.yaml").write_text(
        "users: {dana: {}}\n"
        "channels: {twitter/nmtw: {}}\n"
        'rules: [{id: everyone, allow: ["*"], channels: ["*"]}]\n' + snippet + "\n",
        encoding="utf-8",
    )
    engine = load_engine(str(policy_dir), pm)
    word = entry["words"][0]
    flagged = engine.decide(Post("dana", "twitter/nmtw", f"That was fun {word.upper()}"))
    assert flagged.decision == Outcome.APPROVED  # action: warn
    assert [w.id for w in flagged.warnings] == [entry["use"]]
    clean = engine.decide(Post("dana", "twitter/nmtw", "That was fun"))
    assert clean.decision == Outcome.APPROVED
    assert not clean.warnings

    # "a bad option fails `sayso validate` at its line"
    (policy_dir / "bad.yaml").write_text(
        "checks:\n  - id: bad\n    use: " + entry["use"] + "\n    words: " + word + "\n",
        encoding="utf-8",
    )
    result = validate_policy(str(policy_dir), pm)
    assert not result.valid
    assert [(Path(p.loc.file).name, p.loc.line) for p in result.errors] == [("bad.yaml", 4)]
