"""The plugin system: the hook contract, the plugin manager and the validated registry."""

import pluggy

hookimpl = pluggy.HookimplMarker("unicrm")
"""Marks a plugin's hook implementation: ``@hookimpl def register_models(): ...``."""
