"""dlteach: the classic deep-learning models of the lectures, from scratch in numpy."""

from .i18n import use_language

__version__ = "0.1.0"
__all__ = ["use_language"]
