# Set-up and checks for the workbench. Two commands matter on a fresh machine:
#   make report   install, build the demo models, evaluate them into reports/
#   make test     install, build the demo models, run the test suite
SHELL := bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WB := $(VENV)/bin/workbench
STAMP := $(VENV)/.installed
DEMOS := minilm-bbc minilm-l3-bbc tfidf-logreg
# pip here also reads local wheel folders and warns about absent ones; drop only those lines
QUIET_PIP := { grep -v "^WARNING: Location '.*' is ignored" || true; }
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo-models test test-unit report bench clean

install: $(STAMP)

# torch first, pinned: it takes the local CPU wheel; an unpinned torch pulls gigabytes of CUDA.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0 2>&1 | $(QUIET_PIP)
	$(PY) -m pip install -q -e ".[all]" 2>&1 | $(QUIET_PIP)
	$(PY) -m ipykernel install --user --name workbench --display-name "Python (workbench)" >/dev/null
	test -x $(WB)
	touch $(STAMP)

demo-models: install
	$(WB) models build-demo

test: demo-models
	$(PY) -m pytest

test-unit: install
	$(PY) -m pytest -m "not integration"

report: demo-models
	for name in $(DEMOS); do \
	  $(WB) evaluate --model demo:$$name --data bbc-news:test --out reports/evaluate-$$name --no-progress; \
	done
	@echo "reports written under reports/"

# Speed and memory against the transformers pipeline and torch's matmul peak (about 10 minutes);
# writes benchmarks/results/inference.json and prints a table.
bench: demo-models
	$(PY) benchmarks/inference.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
