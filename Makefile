# einvoice: every command of the project. `make help` lists them.
SHELL := /bin/bash
PY    := .venv/bin/python
UV    := .venv/bin/uv
STAMP := .venv/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-12)
export PYTHONPATH := $(CURDIR)/layers/core/python:$(CURDIR)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 1
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_DISABLE_VERSION_CHECK := true
export OMP_THREAD_LIMIT := 1
PYTEST_ARGS ?= -n auto

.PHONY: help install run test test-unit test-functional test-infra test-conformance test-e2e package synth deploy diff destroy bench fuzz openapi lint format lock clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP):
	@test -x $(PY) || python3 -m venv .venv
	@test -x $(UV) || $(PY) -m pip install -q uv==0.13.8
	$(UV) pip sync -q --compile-bytecode --python $(PY) requirements.lock
	$(UV) pip install -q --python $(PY) --no-deps -e .
	bash scripts/bootstrap-system.sh
	@rm -f .venv/.installed-*; touch $@

install: $(STAMP) ## Install Python packages (lock file) and system packages (Tesseract, poppler, fonts)

run: install ## Start the whole platform locally (API on :3000, local AWS on :4566)
	$(PY) -m local

test: install ## Run every test suite
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: install ## Pure domain tests
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-functional: install ## Handlers and state machines under moto, in-process
	$(PY) -m pytest tests/functional $(PYTEST_ARGS)

test-infra: install ## CDK template assertions, cdk-nag, cfn-lint, statelint
	$(PY) -m pytest tests/infrastructure $(PYTEST_ARGS)

test-conformance: install ## Validation against the shared corpus
	$(PY) -m pytest tests/conformance $(PYTEST_ARGS)

test-e2e: install ## Start the local platform on free ports and call it over HTTP
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

package: install ## Build the Lambda layers and function zips (build/package) and check them against Lambda's limits
	$(PY) -m infra.package

synth: install ## Synthesize the CDK app offline into cdk.out (stand-in assets; no package needed)
	$(PY) -m infra.synth cdk.out

deploy: package ## Deploy what `make package` built to the AWS account of your credentials (needs npx aws-cdk)
	npx --yes aws-cdk@2 deploy --require-approval broadening -c stage=$${STAGE:-dev}

diff: package ## Diff the stack against the deployed one
	npx --yes aws-cdk@2 diff -c stage=$${STAGE:-dev}

destroy: install ## Delete the stack (tables, buckets and archives are retained)
	npx --yes aws-cdk@2 destroy -c stage=$${STAGE:-dev} -c einvoice:package=source

comma := ,
bench: install ## Benchmarks (all; BENCH=ocr,hostile runs those whose file name contains a word)
	$(PY) bench/run.py $(subst $(comma), ,$(BENCH))

fuzz: install ## Longer schemathesis campaign on a local platform (FUZZ_SECONDS=1800 FUZZ_EXAMPLES=200 FUZZ_SEED=random)
	EINVOICE_FUZZ_SECONDS=$${FUZZ_SECONDS:-1800} EINVOICE_FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} \
	EINVOICE_FUZZ_SEED=$${FUZZ_SEED:-random} $(PY) -m pytest tests/e2e/test_schemathesis.py -s $(PYTEST_ARGS)

openapi: install ## Regenerate docs/openapi.json from the handlers
	$(PY) -m einvoice.api.openapi docs/openapi.json

lint: install ## ruff + statelint + cfn-lint on a fresh synth
	$(PY) -m ruff check layers functions infra tests bench local
	$(PY) -m infra.synth build/lint-cdk.out >/dev/null
	.venv/bin/cfn-lint build/lint-cdk.out/*.template.json
	for f in statemachines/*.asl.json; do .venv/bin/statelint $$f || exit 1; done

format: install ## ruff format
	$(PY) -m ruff format layers functions infra tests bench local

lock: ## Re-resolve requirements.lock from pyproject.toml
	$(UV) pip compile -q pyproject.toml --extra dev -o requirements.lock --python $(PY)

clean: ## Remove build outputs (keeps .venv)
	rm -rf cdk.out build .pytest_cache .hypothesis .local-state
