#!/usr/bin/env bash
# Builds the Kubernetes control-plane binaries (kube-apiserver, etcd) that the integration tests
# run against, the way envtest uses them, from their published Go modules.
#
# Output: prints the directory that holds `kube-apiserver` and `etcd` (the KUBEBUILDER_ASSETS layout).
# - KUBEBUILDER_ASSETS set and holding both binaries: that directory is used, nothing is built.
# - Otherwise the binaries are built once into a cache outside the repository, keyed by version,
#   and reused by every later run.
set -euo pipefail

K8S_VERSION="${LOGTO_OPERATOR_K8S_VERSION:-v1.34.4}"
ETCD_VERSION="${LOGTO_OPERATOR_ETCD_VERSION:-v3.6.16}"

log() { printf '[control-plane] %s\n' "$*" >&2; }

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  if [[ -x "$KUBEBUILDER_ASSETS/kube-apiserver" && -x "$KUBEBUILDER_ASSETS/etcd" ]]; then
    log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
    printf '%s\n' "$KUBEBUILDER_ASSETS"
    exit 0
  fi
  log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks kube-apiserver or etcd; building instead"
fi

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
out="$cache_root/control-plane/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_$(platform)"
built() { [[ -x "$out/kube-apiserver" && -x "$out/etcd" ]]; }
if built; then
  printf '%s\n' "$out"
  exit 0
fi
mkdir -p "$out"
# Two callers at once (a test run and `npm run control-plane`) must not build into the same files:
# the second waits for the first and then finds the binaries.
if command -v flock >/dev/null; then
  exec 9>"$out.lock"
  flock -n 9 || { log "another build of $out is running; waiting for it"; flock 9; }
  if built; then
    printf '%s\n' "$out"
    exit 0
  fi
fi
command -v go >/dev/null || { log "Go is required to build the control plane (or set KUBEBUILDER_ASSETS)"; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/logto-operator-cp-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN=local

# A small wrapper module whose only import is the binary's main package, so that `go mod tidy`
# resolves its whole dependency graph.
write_wrapper() { # dir module-path main-package
  mkdir -p "$1"
  printf 'module %s\n\ngo 1.24\n' "$2" >"$1/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$3" >"$1/tools.go"
}

build_etcd() {
  local dir="$work/etcd" mod="go.etcd.io/etcd/server/v3"
  write_wrapper "$dir" logto-operator.test/etcd "$mod"
  (cd "$dir" && go get "$mod@$ETCD_VERSION" >&2 && go mod tidy >&2 &&
    go build -trimpath -ldflags "-s -w" -o "$out/etcd.tmp" "$mod") && mv "$out/etcd.tmp" "$out/etcd"
}

build_kube_apiserver() {
  local dir="$work/kube-apiserver" mod="k8s.io/kubernetes" minor staging
  write_wrapper "$dir" logto-operator.test/kube-apiserver "$mod/cmd/kube-apiserver"
  # k8s.io/kubernetes points its staging repositories at ./staging with `replace`; a consumer
  # module has to point them at their published v0.x tags instead.
  local gomod
  gomod="$(cd "$dir" && go mod download -json "$mod@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  staging="$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod")"
  minor="v0.${K8S_VERSION#v1.}"
  {
    printf '\nrequire %s %s\n\n' "$mod" "$K8S_VERSION"
    for m in $staging; do printf 'replace %s => %s %s\n' "$m" "$m" "$minor"; done
  } >>"$dir/go.mod"
  local major="${K8S_VERSION#v}"; major="${major%%.*}"
  local rest="${K8S_VERSION#v*.}"; local min="${rest%%.*}"
  local pkg=k8s.io/component-base/version
  local ldflags="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$min"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  (cd "$dir" && go mod tidy >&2 &&
    go build -trimpath -ldflags "$ldflags" -o "$out/kube-apiserver.tmp" "$mod/cmd/kube-apiserver") &&
    mv "$out/kube-apiserver.tmp" "$out/kube-apiserver"
}

start=$SECONDS
[[ -x "$out/etcd" ]] || { log "building etcd $ETCD_VERSION (first run only)"; build_etcd; }
[[ -x "$out/kube-apiserver" ]] || { log "building kube-apiserver $K8S_VERSION (first run only, several minutes)"; build_kube_apiserver; }
log "built into $out in $((SECONDS - start))s"
printf '%s\n' "$out"
