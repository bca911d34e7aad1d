"""What a mistake in a stack's configuration raises, and the project's config namespace the messages name."""

from __future__ import annotations

PROJECT = "kubecvm"


class ConfigError(Exception):
    """A user mistake in stack configuration; the message names the field and what was expected."""
