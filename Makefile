.PHONY: help up test lint bench
help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'
up:  ## start the whole cloud on embedded defaults (state in ./state)
	scripts/up
test:  ## run every test (installs and starts PostgreSQL and RabbitMQ for the scaled-out ones)
	scripts/test
lint:  ## ruff and mypy (strict)
	scripts/bootstrap && .venv/bin/ruff check src tests bench && .venv/bin/mypy
bench:  ## identity benchmarks: figures, not pass/fail (apt-get install wrk first)
	scripts/bootstrap && .venv/bin/python bench/identity.py
