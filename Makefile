# The README's commands: `go run ./cmd/tipd demo` and `make test`.
GO ?= go

.PHONY: test check build bench fuzz clean

## test: every test (gofmt, go vet, go test). Installs Chromium for the
## portal's browser test when run as root on Debian (scripts/ci-deps.sh),
## otherwise that test says why it is skipped.
test: check
	@sh scripts/ci-deps.sh
	$(GO) test -count=1 -timeout 30m ./...

## check: formatting and vet.
check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## build: the tipd binary in ./tipd.
build:
	$(GO) build -o tipd ./cmd/tipd

## bench: the in-process benchmarks (see docs/benchmarks.md for the HTTP ones).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## fuzz: each fuzz target for 20 seconds.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 20s $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf tipd tipd-data
