# Two commands on a fresh machine: `make demo` and `make test`. Both install what they need first.
PYTHON ?= python3
ifdef CI
VENV ?= $(HOME)/.cache/stancewire/venv
else
VENV ?= .venv
endif
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.stancewire-install
# The install is redone when pyproject.toml or the checkout's location changes (CI clones afresh).
INSTALL_KEY := $(shell cat pyproject.toml | sha1sum | cut -c1-16)-$(CURDIR)
PYTEST_ARGS ?=

.PHONY: install test test-slow test-all demo eval-all eval-real lint train-default train-baselines train-ensemble clean

install:
	@test -x $(PY) || ($(PYTHON) -m venv $(VENV) && $(PIP) install -q --upgrade pip)
	@if [ "$$(cat $(STAMP) 2>/dev/null)" != "$(INSTALL_KEY)" ]; then \
		$(PY) -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null \
			|| $(PIP) install -q torch==2.13.0; \
		$(PIP) install -q -e '.[dev]' && echo "$(INSTALL_KEY)" > $(STAMP); \
	fi

# `make test` (and CI) runs the tests not marked slow; `make test-slow` runs those that load real weights,
# start servers or a browser; `make test-all` runs both.
test: install
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

test-slow: install
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

test-all: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The main job on the bundled example folder: validate the corpus, label and summarise 20 articles,
# then write the comparison report of the shipped models on the fixture test split.
demo: install
	$(VENV)/bin/stancewire data check fixtures/
	$(VENV)/bin/stancewire label examples/articles --out runs/demo/labels.jsonl --overwrite --summarise --summarizer textrank
	$(VENV)/bin/stancewire eval classify --models default-ensemble,default,tfidf-logreg,embed-logreg,zero-shot-embed \
		--data fixtures/test.jsonl --out reports/demo
	@echo "Labels: runs/demo/labels.jsonl   Report: reports/demo/report.html"

# Every registered classifier and summariser on the fixture test split, timed (target: under 10 minutes).
eval-all: install
	@start=$$(date +%s); \
	$(VENV)/bin/stancewire eval classify --models all,default@int8 --data fixtures/test.jsonl --out reports/eval-all/classify && \
	$(VENV)/bin/stancewire eval summarise --methods all --data fixtures/test.jsonl --out reports/eval-all/summarise && \
	echo "eval-all took $$(( $$(date +%s) - start )) s. Reports: reports/eval-all/{classify,summarise}/report.html"

# Real news: our labels of 20 BBC conflict articles (fixtures/external, labels without text) joined with their
# text from the XSum validation file, which must never be copied into the repo; every classifier scored on them.
XSUM ?= ../shared/data/xsum_dev/xsum_dev.jsonl
eval-real: install
	@test -f $(XSUM) || { echo "eval-real needs the XSum validation file at $(XSUM) (make eval-real XSUM=PATH)"; exit 2; }
	$(VENV)/bin/stancewire data attach-text fixtures/external/xsum-conflict.standoff.jsonl --documents $(XSUM) \
		--out runs/xsum-conflict/articles.jsonl
	$(VENV)/bin/stancewire eval classify --models all,default@int8 --data runs/xsum-conflict/articles.jsonl \
		--out reports/xsum-conflict

clean:
	rm -rf .venv build *.egg-info .pytest_cache

train-default: install
	$(VENV)/bin/stancewire train --config training/configs/default.yaml

train-baselines: install
	$(VENV)/bin/stancewire train --config training/configs/tfidf-logreg.yaml
	$(VENV)/bin/stancewire train --config training/configs/embed-logreg.yaml

# Needs the shipped default and tfidf-logreg (train-default, train-baselines) first.
train-ensemble: install
	$(VENV)/bin/stancewire train --config training/configs/default-ensemble.yaml
