"""Tests of the plugin system, with a test plugin of their own (``example_plugin``)."""
