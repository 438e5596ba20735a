"""Matplotlib drawing used by the lessons and explorers (no widgets here)."""
