"""The lecture models, built from ``dlteach.nn``."""
