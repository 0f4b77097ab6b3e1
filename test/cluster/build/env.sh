# Go settings for building the current release's binaries from their modules. Sourced by
# install.sh and build/pin.sh (after versions.sh). Go's module and build caches live in the
# cluster cache, so a second run (or CI on a kept machine) compiles nothing again.
CACHE="${KUBEFETCH_CACHE:-$HOME/.cache/kubefetch}"
export GOMODCACHE="$CACHE/go/mod"
export GOCACHE="$CACHE/go/build"
# The machine's Go builds these; a module that asks for a newer one fails instead of
# downloading a toolchain. -mod=mod: the committed go.mod/go.sum are complete, so this only
# lets go fetch what they name into GOMODCACHE.
export GOTOOLCHAIN=local
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0
