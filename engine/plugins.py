"""The plugin manager: built-in plugins registered exactly like third-party ones."""

from __future__ import annotations

import importlib
from typing import Any

import pluggy

from . import hookspecs
from .entrypoints import may_declare

# Built-in plugin modules, registered in this order; entry points (group "sayso") follow.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "plugins.topics",
    "plugins.max_length",
    "plugins.links",
    "plugins.hidden_characters",
    "plugins.directory_csv",
    "plugins.outbox",
    "plugins.canned_reply",
    "plugins.webhook",
    "plugins.email_notifier",
    "plugins.mastodon_source",
)


def get_plugin_manager(load_entrypoints: bool = True) -> pluggy.PluginManager:
    """A fresh manager with the specs, the built-in plugins and installed plugins."""
    pm = pluggy.PluginManager("sayso")
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if load_entrypoints and may_declare("sayso"):  # else importlib.metadata finds none
        pm.load_setuptools_entrypoints("sayso")
    pm.check_pending()
    return pm


_default: pluggy.PluginManager | None = None


def default_plugin_manager() -> pluggy.PluginManager:
    """A process-wide manager, built on first use (never at import time)."""
    global _default
    if _default is None:
        _default = get_plugin_manager()
    return _default


def _collect(results: list[list[Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    # pluggy calls the last registered plugin first; the first registration of a name wins
    # over built-ins registered before it, so iterate in call order and keep the first.
    for specs in results:
        for spec in specs or ():
            found.setdefault(spec.name, spec)
    return found


def checks(pm: pluggy.PluginManager) -> dict[str, hookspecs.CheckSpec]:
    return _collect(pm.hook.register_checks())


def topic_detectors(pm: pluggy.PluginManager) -> dict[str, hookspecs.DetectorSpec]:
    return _collect(pm.hook.register_topic_detectors())


def publishers(pm: pluggy.PluginManager) -> dict[str, hookspecs.PublisherSpec]:
    return _collect(pm.hook.register_publishers())


def notifiers(pm: pluggy.PluginManager) -> dict[str, hookspecs.NotifierSpec]:
    return _collect(pm.hook.register_notifiers())


def directory_sources(pm: pluggy.PluginManager) -> dict[str, hookspecs.DirectorySpec]:
    return _collect(pm.hook.register_directory_sources())


def sources(pm: pluggy.PluginManager) -> dict[str, hookspecs.SourceSpec]:
    return _collect(pm.hook.register_sources())


def get_plugins(pm: pluggy.PluginManager) -> list[dict[str, Any]]:
    """What is loaded, for `sayso plugins` and the admin page."""
    out = []
    for plugin in pm.get_plugins():
        name = pm.get_name(plugin) or repr(plugin)
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or ())
        out.append({"name": name, "hooks": hooks})
    return sorted(out, key=lambda p: p["name"])
