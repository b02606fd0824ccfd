"""Typed library errors; the CLI turns each into one ``Error: ...`` line."""

from __future__ import annotations


class LuoyangError(Exception):
    """Base class of every error the library raises on purpose."""

    exit_code = 2


class UsageError(LuoyangError):
    """The caller asked for something impossible (missing folder, bad option value)."""


class RuleError(LuoyangError):
    """A rule file is invalid. The message names the file, the rule id and the field."""


class ReadError(LuoyangError):
    """A report could not be read or decoded; the run skips it and goes on."""

    exit_code = 1
