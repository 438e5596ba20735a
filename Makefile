# Two entry points for people (`make lab`, `make test`); everything else supports them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab test notebooks bench clean

# A local virtual environment with the pinned versions; redone when the pins change.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/dlteach lab

test: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider tests --nbval --nbval-current-env notebooks

# Re-execute every notebook in place (after changing the library), so outputs stay current.
notebooks: $(STAMP)
	$(BIN)/dlteach execute

bench: $(STAMP)
	$(BIN)/dlteach bench

clean:
	rm -rf $(VENV)
