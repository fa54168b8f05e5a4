# peitu — two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## illustrate examples/articles offline into output/ and write preview.html
	$(BIN)/peitu illustrate examples/articles/*.md --out output
	@echo "Open output/index.html to see every cover and article."

test: $(STAMP)  ## the whole suite (what CI runs)
	$(BIN)/python -m pytest -n 2 -q

test-fast: $(STAMP)  ## inner loop: skip tests marked slow
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

lint: $(STAMP)  ## ruff and mypy over the package
	$(BIN)/ruff check pipeline
	$(BIN)/mypy

bench: $(STAMP)  ## the benchmarks (each ends with a key=value line)
	$(BIN)/python bench/overhead.py
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/relevance.py

clean:
	rm -rf output .peitu .pytest_cache
