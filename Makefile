# Front door. Everything runs inside .venv, created from the project's own files.
PYTHON ?= python3.11
VENV   ?= .venv
PY      = $(VENV)/bin/python
# dev sets + score.py for eval and bench (make eval SHARED=/path/to/shared/eval)
SHARED ?= ../shared/eval
export HF_HUB_OFFLINE = 1
export TRANSFORMERS_OFFLINE = 1

.PHONY: install test test-fast check lint bench eval eval-quality clean demo dist wheel-check

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -e '.[dev,ray,serve]'
	$(VENV)/bin/newsbrief doctor
	touch $@

demo: install
	$(VENV)/bin/newsbrief summarize samples/eu-cloud-certification.html

test: install
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not models and not llm and not ray"

lint: install
	$(VENV)/bin/ruff check pipeline tests
	$(VENV)/bin/ruff format --check pipeline tests
	$(VENV)/bin/mypy

check: lint test

bench: install
	$(PY) bench/run.py --shared $(SHARED) --out bench/results.json

eval: install
	$(PY) -m pipeline.cli eval --shared $(SHARED) --json bench/eval.json

# quality mode on the first 60 articles of each summarization set (~95 min on 2 cores; the
# 95% interval of 12+12 was about ±5 R1, too wide to steer by). QUALITY_LIMIT=12 for a quick look.
QUALITY_LIMIT ?= 60
eval-quality: install
	$(PY) -m pipeline.cli eval --shared $(SHARED) --task summarization --mode quality --limit $(QUALITY_LIMIT) \
		--json bench/eval-quality-$(QUALITY_LIMIT).json

# sdist + wheel into dist/
dist: install
	rm -rf dist
	$(PY) -m build --outdir dist . >/dev/null

# Install like a user (pipx/uv tool/pip install *.whl): the wheel, non-editable, in a fresh venv,
# then run it from outside the checkout. Offline but for the package registry.
WHEEL_VENV ?= /tmp/newsbrief-wheel-venv
wheel-check: dist
	$(PY) -c "import sys, zipfile; names = zipfile.ZipFile(sys.argv[1]).namelist(); 		bad = [n for n in names if n.split('/')[0] in ('tests', 'samples', 'bench', 'models')]; 		assert not bad, bad; assert 'pipeline/manifest.toml' in names and 'pipeline/templates/digest.html.j2' in names" dist/*.whl
	rm -rf $(WHEEL_VENV)
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/pip install --quiet --upgrade "pip>=24"
	$(WHEEL_VENV)/bin/pip install --quiet dist/*.whl
	cd /tmp && $(WHEEL_VENV)/bin/newsbrief --version
	cd /tmp && $(WHEEL_VENV)/bin/newsbrief models
	cd /tmp && $(WHEEL_VENV)/bin/newsbrief doctor
	cd /tmp && $(WHEEL_VENV)/bin/newsbrief summarize --no-index --mode fast $(CURDIR)/samples/eu-cloud-certification.html

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache dist build
