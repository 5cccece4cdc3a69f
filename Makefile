# Two commands: `make demo` (install + run the example gate) and `make test` (install + tests).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: demo dashboard test bench validity install install-test models lint schema clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# stamp files: reinstall only when pyproject.toml changes (the install is editable)
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# train the example models only if they are missing (python example_project/train.py --force
# retrains); one OpenMP thread keeps the model files byte-identical across machines
models: install
	OMP_NUM_THREADS=1 $(PY) example_project/train.py

demo: models
	$(PY) -m pytest --modelgate -p no:cacheprovider gates.yaml example_project/tests

$(VENV)/.installed-dashboard: pyproject.toml | $(PY)
	$(PIP) install -e '.[dashboard]'
	touch $@ $(VENV)/.installed

# the example's simulated history (five releases, a drifting month: real gate runs, about a
# minute on 2 cores) and its dashboard: open site/index.html. Not part of `make demo` (too slow)
dashboard: models $(VENV)/.installed-dashboard
	OMP_NUM_THREADS=1 $(PY) example_project/simulate_history.py
	$(PY) -m pytest_modelgate.dashboard --jsonl example_project/history/build/history.jsonl -o site --title "Example project: the income model's release history"

test: install-test
	$(PY) -m pytest -p no:cacheprovider -n 2 --dist worksteal tests

# timings against scikit-learn, scipy and fairlearn (several minutes); writes docs/performance.md.
# Not part of `make test`: timings are measured, never asserted.
bench: install-test
	$(PY) benchmarks/bench_alternatives.py --output docs/performance.md

# the validity matrix of issue #13 (minutes on 2 cores): docs/validity.md + validity/results.json,
# the canary's daily-look table (docs/validity-canary.md) and the shadow/plan tables
# (docs/validity-shadow.md)
validity: install
	$(PY) -m validity --output docs/validity.md
	$(PY) -m validity.sequential --output docs/validity-canary.md
	$(PY) -m validity.shadow --output docs/validity-shadow.md

lint: install-test
	$(PIP) install -e '.[dev]'
	$(PY) -m ruff check pytest_modelgate tests example_project benchmarks
	$(PY) -m ruff format --check pytest_modelgate tests example_project benchmarks
	$(PY) -m mypy pytest_modelgate

# regenerate the shipped JSON Schema of gates.yaml after changing spec/models.py
schema: install
	$(PY) -c "import json; from pytest_modelgate.spec import json_schema; open('pytest_modelgate/schema/gates.schema.json','w').write(json.dumps(json_schema(), indent=2) + '\n')"

clean:
	rm -rf $(VENV) .modelgate example_project/models example_project/data/*.csv.gz example_project/history/build site
