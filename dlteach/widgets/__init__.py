"""One explorer per interactive lesson: ipywidgets controls around a pure update (see ``base.py``)."""
