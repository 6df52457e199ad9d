# Two commands for a fresh machine with only Python and make:
#   make demo   - set up .venv, build the default phantom leg, find its anatomy, read the demo
#                 gait (a right foot drop, rested and fatigued), fit the AFO it prescribes and
#                 compute its stiffness by finite elements; then a later visit's scan of the
#                 same leg with its calf swollen 5 %, compared with the first, in the brace
#   make test   - set up .venv and run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO := demo-out

.PHONY: demo test check lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,fe,pdf,cluster]'
	touch $@

demo: $(BIN)/.installed
	@mkdir -p $(DEMO)
	$(BIN)/afofit phantom $(DEMO)/phantom_leg.stl --seed 7 --noise 0.2 --holes 2
	$(BIN)/afofit scan $(DEMO)/phantom_leg.stl
	$(BIN)/afofit gait examples/demo_gait_rested.csv examples/demo_gait_fatigued.csv --plot $(DEMO)/gait.png
	$(BIN)/afofit fit $(DEMO)/phantom_leg.stl -o $(DEMO)/fit \
		--gait examples/demo_gait_rested.csv --gait examples/demo_gait_fatigued.csv --strap-slots \
		--material petg
	$(BIN)/afofit stiffness $(DEMO)/fit
	$(BIN)/afofit phantom $(DEMO)/later_leg.stl --seed 7 --noise 0.2 --holes 2 --calf-swelling 5
	$(BIN)/afofit follow-up $(DEMO)/phantom_leg.stl $(DEMO)/later_leg.stl --afo $(DEMO)/fit \
		-o $(DEMO)/follow-up

test: $(BIN)/.installed
	$(BIN)/python -m pytest -n auto --dist loadfile  # one worker per core, a file per worker

# The import structure (no cycles, no private cross-module imports, a core that never
# writes or reaches up to the writers) is checked by the shared tool when it is beside us.
STRUCTURE := ../shared/tools/check_structure.py

lint: $(BIN)/.installed
	$(BIN)/ruff check afofit tests bench
	$(BIN)/ruff format --check afofit tests bench
	$(BIN)/mypy
	@if [ -f $(STRUCTURE) ]; then $(BIN)/python $(STRUCTURE) .; \
	else echo "skipped the structure check: $(STRUCTURE) is not beside this checkout"; fi

check: lint test

bench: $(BIN)/.installed
	$(BIN)/python bench/bench_scan.py
	$(BIN)/python bench/bench_fit.py
	$(BIN)/python bench/gait_events.py
	$(BIN)/python bench/bench_stiffness.py
	$(BIN)/python bench/bench_followup.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
