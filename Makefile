# Every target bootstraps .venv from pyproject.toml (pinned by constraints.txt) when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := 01_targets 02_grading 03_incentives
NBVAL := --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg
RUNS ?= 20

.PHONY: run test check matrix lab app notebooks bench stress sample screenshots lock clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## the main job: the three notebooks on data/sample -> outputs/
	$(BIN)/python -m helpers run

test: $(STAMP)  ## ruff, unit and property tests, notebooks (nbval), one whole run (~5 min)
	$(BIN)/ruff check helpers tests $(wildcard benchmarks) notebooks tools
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not slow" tests notebooks $(NBVAL)

check: $(STAMP)  ## the rest (CI runs it too): browser pages, data shapes, metamorphic runs, app kernels
	$(BIN)/python -m pytest -n 2 --dist loadfile -m slow tests

matrix: $(STAMP)  ## `helpers run` on every data shape of tests/shapes.py, each alone (~15 min)
	MATRIX=all $(BIN)/python -m pytest tests/test_data_matrix.py -v

app: $(STAMP)  ## the notebooks as a web app without code, for client demos (Voila)
	$(BIN)/python -m helpers app

lab: $(STAMP)
	$(BIN)/jupyter lab --allow-root --notebook-dir=notebooks

notebooks: $(STAMP)  ## re-execute the committed notebooks in place (fresh outputs folder)
	export SALES_OUTPUTS=$$(mktemp -d) && cd notebooks && for nb in $(NOTEBOOKS); do \
	  ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=300 $$nb.ipynb || exit 1; done

bench: $(STAMP)
	$(BIN)/python -m benchmarks

stress: $(STAMP)  ## `helpers run` RUNS times (20) beside 3 busy loops; fails if one hangs (issue 10)
	$(BIN)/python -m benchmarks.stress --runs $(RUNS)

sample: $(STAMP)  ## regenerate data/sample/ from the seeded synthetic company
	$(BIN)/python -m helpers sample

screenshots: $(STAMP)  ## the README's pictures, taken by the browser tests
	SALES_OUTPUTS=$(CURDIR)/outputs $(BIN)/python -m pytest tests/test_browser.py -q
	mkdir -p docs/screenshots && cp outputs/screenshots/*.png docs/screenshots/

lock:  ## refresh constraints.txt from the current .venv
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^helpers' > constraints.txt

clean:
	rm -rf $(VENV) outputs .pytest_cache .ruff_cache
