"""``unicrm worker`` in a process of its own, with the test plugins registered explicitly
(as the test kit registers them) plus the gated plugin: ``python worker_process.py [ARGS]``."""

from __future__ import annotations

import sys
from importlib import import_module

from jobs import gated_plugin
from plugins import example_plugin
from unicrm.core.cli.main import app
from unicrm.core.cli.runtime import Cli
from unicrm.core.config import BUILTIN_PLUGINS

PLUGINS = {
    **{name: import_module(f"unicrm.plugins.{name}.plugin") for name in BUILTIN_PLUGINS},
    example_plugin.NAME: example_plugin,
    gated_plugin.NAME: gated_plugin,
}

if __name__ == "__main__":
    app(["worker", *sys.argv[1:]], prog_name="unicrm", obj=Cli(plugins=PLUGINS))
