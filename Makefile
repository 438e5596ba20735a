# Two entry points for people (`make lab`, `make test`; `make lab-zh` for the Chinese edition);
# everything else supports them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab lab-zh test browser notebooks translate site slides bench clean

# The course's matrices are small: one BLAS/OpenMP thread per process is as fast, and avoids
# threads spinning against each other when tests or notebooks run side by side.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

# A local virtual environment with the pinned versions; redone when the pins change.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/dlteach lab

# 中文版: the Chinese lessons, JupyterLab's interface in Chinese
lab-zh: $(STAMP)
	$(BIN)/dlteach lab --lang zh

# Debian's Chromium for tests/browser (and a CJK font, so that screenshots of the Chinese edition
# show characters): installed when we are root with apt-get, else the browser tests are skipped
# (pytest -rs names the reason too).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Chromium for the browser tests (apt-get install chromium fonts-noto-cjk)"; \
	  (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	    || echo "could not install Chromium: the browser tests will be skipped"; \
	else echo "no /usr/bin/chromium: the browser tests will be skipped (install it with: sudo apt-get install chromium)"; fi

test: $(STAMP) browser
	$(BIN)/python -m pytest -p no:cacheprovider tests --nbval --nbval-current-env notebooks

# Re-execute every notebook of both editions in place (after changing the library), so outputs stay current.
notebooks: $(STAMP)
	$(BIN)/dlteach execute

# After editing an English lesson: bring the Chinese catalogues and notebooks in step (dlteach/translate.py).
translate: $(STAMP)
	$(BIN)/dlteach translate

# The course as a static website (build/site/index.html) and as reveal.js slides (build/slides/): both
# offline, for any static file server, e.g. `python -m http.server -d build/site`.
site: $(STAMP)
	$(BIN)/dlteach site

slides: $(STAMP)
	$(BIN)/dlteach slides

bench: $(STAMP)
	$(BIN)/dlteach bench

clean:
	rm -rf $(VENV)
