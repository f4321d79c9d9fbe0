#!/usr/bin/env bash
# Builds Prometheus and promtool, which the monitoring tests run (a real Prometheus scraping the
# operator, `promtool check rules` and `promtool test rules`), from their published Go module
# github.com/prometheus/prometheus, the way scripts/build-control-plane.sh builds the control plane.
#
# Output: prints the directory that holds `prometheus` and `promtool`.
# - LOGTO_OPERATOR_PROMETHEUS_BIN set and holding both binaries: that directory is used, nothing is built.
# - Otherwise both are built once into a cache outside the repository, keyed by version and platform,
#   and reused by every later run. The web UI's assets are not built (the tests use the HTTP API only).
set -euo pipefail

# Prometheus 3.5, the long-term support release; its Go module is tagged v0.<minor><patch>.
PROMETHEUS_VERSION="${LOGTO_OPERATOR_PROMETHEUS_VERSION:-3.5.1}"

log() { printf '[prometheus] %s\n' "$*" >&2; }

if [[ -n "${LOGTO_OPERATOR_PROMETHEUS_BIN:-}" ]]; then
  if [[ -x "$LOGTO_OPERATOR_PROMETHEUS_BIN/prometheus" && -x "$LOGTO_OPERATOR_PROMETHEUS_BIN/promtool" ]]; then
    log "using LOGTO_OPERATOR_PROMETHEUS_BIN=$LOGTO_OPERATOR_PROMETHEUS_BIN"
    printf '%s\n' "$LOGTO_OPERATOR_PROMETHEUS_BIN"
    exit 0
  fi
  log "LOGTO_OPERATOR_PROMETHEUS_BIN=$LOGTO_OPERATOR_PROMETHEUS_BIN lacks prometheus or promtool; building instead"
fi

# 3.5.1 -> v0.305.1 (the module's tags since Prometheus 3.0).
module_version() {
  local major minor patch
  IFS=. read -r major minor patch <<<"$1"
  [[ "$major" == 3 ]] || { log "only Prometheus 3.x versions are supported, not $1"; exit 1; }
  printf 'v0.%d%02d.%d' "$major" "$minor" "$patch"
}

# The cache key needs the platform; without Go (binaries built earlier) derive it from uname.
platform() {
  if command -v go >/dev/null; then
    printf '%s-%s' "$(go env GOOS)" "$(go env GOARCH)"
    return
  fi
  local os arch
  os="$(uname -s | tr '[:upper:]' '[:lower:]')"
  case "$(uname -m)" in x86_64 | amd64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
  printf '%s-%s' "$os" "$arch"
}

cache_root="${LOGTO_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/logto-operator}"
out="$cache_root/prometheus/${PROMETHEUS_VERSION}_$(platform)"
built() { [[ -x "$out/prometheus" && -x "$out/promtool" ]]; }
if built; then
  printf '%s\n' "$out"
  exit 0
fi
mkdir -p "$out"
# Two callers at once (two test files, a test run and a developer) must not build into the same
# files: the second waits for the first and then finds the binaries.
if command -v flock >/dev/null; then
  exec 9>"$out.lock"
  flock -n 9 || { log "another build of $out is running; waiting for it"; flock 9; }
  if built; then
    printf '%s\n' "$out"
    exit 0
  fi
fi
command -v go >/dev/null || { log "Go is required to build Prometheus (or set LOGTO_OPERATOR_PROMETHEUS_BIN)"; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/logto-operator-prometheus-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN=local

mod=github.com/prometheus/prometheus
version="$(module_version "$PROMETHEUS_VERSION")"
start=$SECONDS
log "building prometheus and promtool $PROMETHEUS_VERSION ($mod@$version; first run only, several minutes)"

# A wrapper module that requires Prometheus' module. Prometheus' own `replace` directives only apply
# in its main module, so they are copied into the wrapper's go.mod (as the upstream build uses them).
dir="$work/prometheus"
mkdir -p "$dir"
printf 'module logto-operator.test/prometheus\n\ngo 1.23\n' >"$dir/go.mod"
printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "%s/cmd/prometheus"\n\t_ "%s/cmd/promtool"\n)\n' \
  "$mod" "$mod" >"$dir/tools.go"
gomod="$(cd "$dir" && go mod download -json "$mod@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
{
  printf '\nrequire %s %s\n\n' "$mod" "$version"
  awk '/^replace \($/ { block = 1 } block || /^replace / { print } /^\)$/ { block = 0 }' "$gomod"
} >>"$dir/go.mod"

pkg=github.com/prometheus/common/version
ldflags="-s -w -X $pkg.Version=$PROMETHEUS_VERSION -X $pkg.Revision=$version -X $pkg.Branch=HEAD"
ldflags+=" -X $pkg.BuildUser=logto-operator -X $pkg.BuildDate=19700101-00:00:00"
# `go get` of the two main packages records exactly the modules they need (not every test dependency
# of every module, as `go mod tidy` would download).
(cd "$dir" && go get "$mod/cmd/prometheus@$version" "$mod/cmd/promtool@$version" >&2 &&
  go build -trimpath -ldflags "$ldflags" -o "$work/bin/" "$mod/cmd/prometheus" "$mod/cmd/promtool")
# Each binary lands under its final name only once complete, so `built` never sees half a file.
mv "$work/bin/promtool" "$out/promtool.tmp" && mv "$out/promtool.tmp" "$out/promtool"
mv "$work/bin/prometheus" "$out/prometheus.tmp" && mv "$out/prometheus.tmp" "$out/prometheus"
log "built into $out in $((SECONDS - start))s"
printf '%s\n' "$out"
