# The README's commands: `go run ./cmd/tipd demo` and `make test`.
GO ?= go

.PHONY: test check build bench fuzz clean

## test: every test (gofmt, go vet, go test, each benchmark once so that none
## rots). Installs Chromium for the
## portal's browser test when run as root on Debian (scripts/ci-deps.sh) and
## starts a throwaway PostgreSQL for the PostgreSQL tests (scripts/pg-start.sh,
## stopped at the end); where either cannot be had, those tests say why they
## are skipped (outside CI) or fail (CI set).
test: check
	@sh scripts/ci-deps.sh
	@set -u; started=""; \
	if [ -z "$${TIPD_TEST_POSTGRES:-}" ]; then \
	  dir=$$(mktemp -u -d "$${TMPDIR:-/tmp}/tipd-pg-XXXXXX"); \
	  if out=$$(bash scripts/pg-start.sh "$$dir"); then eval "$$out"; started=$$dir; \
	  else echo "make test: could not start PostgreSQL; the PostgreSQL tests will be skipped (or fail with CI set)"; fi; \
	fi; \
	status=0; $(GO) test -count=1 -timeout 30m ./... || status=$$?; \
	echo "make test: every benchmark once (internal/gen's world benchmark excepted: a minute)"; \
	out=$$($(GO) test -count=1 -run '^$$' -bench . -benchtime 1x $$($(GO) list ./... | grep -v '/internal/gen$$') 2>&1) || { echo "$$out"; status=1; }; \
	if [ -n "$$started" ]; then bash scripts/pg-stop.sh "$$started"; fi; \
	exit $$status

## check: formatting, vet, and no unreachable function (deadcode, run at a
## pinned version through the module proxy; tests count as callers).
DEADCODE ?= golang.org/x/tools/cmd/deadcode@v0.53.0
check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@out=$$($(GO) run $(DEADCODE) -test ./...) || { echo "$$out"; exit 1; }; \
	if [ -n "$$out" ]; then echo "deadcode: unreachable functions:"; echo "$$out"; exit 1; fi

## build: the tipd binary in ./tipd.
build:
	$(GO) build -o tipd ./cmd/tipd

## bench: the in-process benchmarks (see docs/benchmarks.md for the HTTP ones).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## fuzz: each fuzz target for 20 seconds. Minimising an input costs
## executions quadratic in its length and stops all fuzzing while it runs
## (60 s by default, per input): -fuzzminimizetime bounds it, so that the
## budget goes to fuzzing. Minimise a crasher further by running its target
## again without the flag.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 20s -fuzzminimizetime 1000x $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf tipd tipd-data
