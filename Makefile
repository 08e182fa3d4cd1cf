# Front door. Everything runs inside .venv, created from the project's own files.
PYTHON ?= python3.11
VENV   ?= .venv
PY      = $(VENV)/bin/python
# dev sets + score.py for eval and bench (make eval SHARED=/path/to/shared/eval)
SHARED ?= ../shared/eval
export HF_HUB_OFFLINE = 1
export TRANSFORMERS_OFFLINE = 1

.PHONY: install test test-fast check lint bench eval eval-quality clean demo

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -e '.[dev,ray]'
	$(VENV)/bin/newsbrief doctor
	touch $@

demo: install
	$(VENV)/bin/newsbrief summarize samples/eu-cloud-certification.html

test: install
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not models and not llm"

lint: install
	$(VENV)/bin/ruff check pipeline tests
	$(VENV)/bin/ruff format --check pipeline tests
	$(VENV)/bin/mypy

check: lint test

bench: install
	$(PY) bench/run.py --shared $(SHARED) --out bench/results.json

eval: install
	$(PY) -m pipeline.cli eval --shared $(SHARED) --json bench/eval.json

# quality mode on the first 12 articles of each summarization set (~15 min on 2 cores)
eval-quality: install
	$(PY) -m pipeline.cli eval --shared $(SHARED) --task summarization --mode quality --limit 12 \
		--json bench/eval-quality.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
