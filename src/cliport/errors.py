"""Errors that carry a message meant for the user (printed as one line by the CLI)."""


class CliportError(Exception):
    """Base class of errors whose message names the problem and how to fix it."""


class ConfigError(CliportError, ValueError):
    """A configuration value is invalid; the message names the key."""
