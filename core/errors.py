"""kezhuan's exceptions: one base class, each message says how to fix the problem."""

from __future__ import annotations


class KezhuanError(Exception):
    """Base class of every error kezhuan raises on purpose."""


class SettingsError(KezhuanError, ValueError):
    """A setting has a bad value."""


class DocumentReadError(KezhuanError):
    """A source document cannot be read (the message names the file)."""


class IndexMissingError(KezhuanError):
    """There is no index yet, or it is unreadable: run ``kezhuan ingest``."""


class IndexUnreadableError(IndexMissingError):
    """The index is there but cannot be read (a damaged database): ``kezhuan ingest --rebuild``."""


class DiskFullError(KezhuanError):
    """The disk holding the index is full; nothing was deleted (the message says what to free)."""


class ModelLoadError(KezhuanError):
    """An embedding model cannot be loaded or converted."""


class BadQuestionError(KezhuanError, ValueError):
    """A question is empty, too long or otherwise unusable."""


class GenerationError(KezhuanError):
    """The language model could not write an answer (the message says why and what to check)."""
