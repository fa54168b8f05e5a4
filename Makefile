# peitu — two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ART := pipeline/providers/local/artdata/index.json

.PHONY: demo test test-fast bench lint clean art

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# The vector art the offline renderer draws (Fluent Emoji Flat, MIT) with its Chinese and English
# names (emojibase, MIT): two npm packages pinned in art/package-lock.json, fetched once with the
# machine's npm and indexed; nothing is downloaded at run time. Without npm, offline pictures are
# abstract patterns (the manifest's depicts_reason says so).
$(ART): art/package.json art/package-lock.json pipeline/providers/local/artbuild.py | $(STAMP)
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix art --no-audit --no-fund --silent && \
	  $(BIN)/python -m pipeline.providers.local.artbuild art/node_modules; \
	else \
	  echo "make art: npm not found (apt-get install npm): offline pictures will be abstract patterns"; \
	fi

art: $(ART)  ## fetch and index the offline renderer's art (npm)

demo: $(STAMP) $(ART)  ## illustrate examples/articles offline into output/ and write preview.html
	$(BIN)/peitu illustrate examples/articles/*.md --out output
	@echo "Open output/index.html to see every cover and article."

test: $(STAMP) $(ART)  ## the whole suite (what CI runs)
	$(BIN)/python -m pytest -n 2 -q

test-fast: $(STAMP) $(ART)  ## inner loop: skip tests marked slow
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

lint: $(STAMP)  ## ruff and mypy over the package
	$(BIN)/ruff check pipeline
	$(BIN)/mypy

bench: $(STAMP) $(ART)  ## the benchmarks (each ends with a key=value line)
	$(BIN)/python bench/overhead.py
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/relevance.py
	$(BIN)/python bench/fanout.py

clean:
	rm -rf output .peitu .pytest_cache
