"""dlteach: the classic deep-learning models of the lectures, from scratch in numpy."""

__version__ = "0.1.0"
