#!/usr/bin/env bash
# Installs what the test cluster needs and builds kube-apiserver, kubelet,
# kube-controller-manager and kube-scheduler once, cached outside the repo, plus the node's
# runtime (containerd, runc, CNI plugins) and what its images are made of (busybox-static,
# gcc). Idempotent: a second run with a warm cache does nothing but check.
#   bash test/cluster/install.sh [--no-node] [--version 1.20|current]
# Versions (versions.sh; without --version, KUBEFETCH_CLUSTER_VERSION or DEFAULT_VERSION):
#   1.20     kube-apiserver and the node's binaries from Debian's kubernetes 1.20 source package
#            (cached as $CACHE/NAME-v1.20.2), etcd and containerd from Debian.
#   current  (or its minor, e.g. 1.37) the newest release, built from its Go modules
#            (build/kubernetes, build/etcd): kube-apiserver, kube-controller-manager,
#            kube-scheduler, kubelet, kubectl in $CACHE/vX.Y.Z/, etcd and etcdctl in
#            $CACHE/etcd-vX.Y.Z/; Go's caches in $CACHE/go.
#   KUBE_APISERVER / KUBELET / KUBE_CONTROLLER_MANAGER / KUBE_SCHEDULER / ETCD
#                           point at existing binaries (as envtest users have them): no build.
#   KUBEFETCH_CACHE         cache folder (default ~/.cache/kubefetch).
# `install.sh --no-node`: only what a control-plane-only cluster (up.sh --no-node) needs.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=test/cluster/versions.sh
. "$HERE/versions.sh"

K8S_DEB_VERSION="$OLD_K8S_DEB_VERSION"
K8S_ORIG="$OLD_K8S_ORIG"
CACHE="${KUBEFETCH_CACHE:-$HOME/.cache/kubefetch}"

NODE=1 VERSION_ARG=
while [ $# -gt 0 ]; do
  case "$1" in
    --no-node) NODE= ;;
    --version) VERSION_ARG=${2:-}; shift ;;
    --version=*) VERSION_ARG=${1#--version=} ;;
    *) echo "usage: install.sh [--no-node] [--version 1.20|current]" >&2; exit 2 ;;
  esac
  shift
done
select_version "$VERSION_ARG" || exit 2

step() { echo "[cluster/install] $*" >&2; }
fail() {
  echo "[cluster/install] FAILED at step: $1" >&2
  echo "[cluster/install] retry with: bash test/cluster/install.sh  (cache: $CACHE)" >&2
  exit 1
}

need_root() {
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
}

apt_ready=
apt_update_once() {
  [ -n "$apt_ready" ] && return 0
  step "apt-get update"
  $SUDO apt-get update -qq >/dev/null || fail "apt-get update"
  apt_ready=1
}

# Debian bookworm carries the kubernetes 1.20 source package; naming the suite keeps this
# working on a newer Debian host.
ensure_deb_src() {
  local list=/etc/apt/sources.list.d/kubefetch-bookworm-src.sources
  [ -f "$list" ] && return 0
  step "adding deb-src for bookworm main"
  # apt refuses two entries for one URI and suite with different Signed-By: use the keyring the
  # host's own Debian sources name, else the one this Debian ships (.gpg up to 12, .pgp from 13).
  local keyring signed=""
  keyring=$(grep -rhos 'Signed-By: */usr/share/keyrings/debian-archive-keyring\.[a-z]*' /etc/apt/sources.list.d/ \
    | head -1 | sed 's/Signed-By: *//' || true)
  if [ -z "$keyring" ]; then
    for k in /usr/share/keyrings/debian-archive-keyring.gpg /usr/share/keyrings/debian-archive-keyring.pgp; do
      if [ -f "$k" ]; then keyring=$k; break; fi
    done
  fi
  if [ -n "$keyring" ]; then signed="Signed-By: $keyring"; fi
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n%s\n' "$signed" \
    | $SUDO tee "$list" >/dev/null || fail "writing $list"
  apt_ready=
}

ensure_pkgs() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_update_once
  step "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]}"
}

need_root
mkdir -p "$CACHE"

# Tools every run needs, whatever provides the binaries.
ensure_pkgs openssl jq curl
command -v kubectl >/dev/null || ensure_pkgs kubernetes-client

if [ "$STACK" = current ]; then
  # shellcheck source=test/cluster/install-current.sh
  . "$HERE/install-current.sh"
  install_current
  exit 0
fi

if [ -n "${ETCD:-}" ]; then
  [ -x "$ETCD" ] || fail "ETCD=$ETCD is not an executable"
else
  ensure_pkgs etcd-server etcd-client
fi

# The node: containerd + runc run the pods, the CNI plugins only make the node Ready,
# busybox-static and gcc (the pause binary) are what test/cluster/images.sh builds images from.
[ -z "$NODE" ] || ensure_pkgs containerd runc containernetworking-plugins busybox-static gcc libc6-dev util-linux iproute2

# cached NAME ENVVAR: true when $ENVVAR names a binary, or the cache holds a working one.
cached() {
  local name=$1 var=$2 bin
  if [ -n "${!var:-}" ]; then
    [ -x "${!var}" ] || fail "$var=${!var} is not an executable"
    step "using $var=${!var}"
    return 0
  fi
  bin="$CACHE/$name-v1.20.2"
  if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
    step "cached: $bin"
    return 0
  fi
  return 1
}

WANT=()
cached kube-apiserver KUBE_APISERVER || WANT+=(kube-apiserver)
if [ -n "$NODE" ]; then
  cached kubelet KUBELET || WANT+=(kubelet)
  cached kube-controller-manager KUBE_CONTROLLER_MANAGER || WANT+=(kube-controller-manager)
  cached kube-scheduler KUBE_SCHEDULER || WANT+=(kube-scheduler)
fi

# The pause image is built from the source tree's build/pause, so the source is needed even
# when every binary is given or cached.
ensure_source() {
  ensure_deb_src
  ensure_pkgs golang-go rsync golang-github-modern-go-reflect2-dev dpkg-dev make
  SRC="$CACHE/src"
  mkdir -p "$SRC"
  if [ ! -f "$SRC/$K8S_ORIG" ]; then
    apt_update_once
    step "apt-get source --download-only kubernetes=$K8S_DEB_VERSION"
    (cd "$SRC" && apt-get source --download-only "kubernetes=$K8S_DEB_VERSION" >/dev/null 2>&1) \
      || fail "downloading the kubernetes source package"
  fi
  BUILD="$CACHE/build"
  if [ ! -d "$BUILD/vendor" ]; then
    step "extracting $K8S_ORIG"
    rm -rf "$BUILD" && mkdir -p "$BUILD"
    tar -xzf "$SRC/$K8S_ORIG" -C "$BUILD" --strip-components=1 || fail "extracting $K8S_ORIG"
  fi
}
[ ${#WANT[@]} -eq 0 ] && [ -z "$NODE" ] && exit 0
ensure_source
[ ${#WANT[@]} -eq 0 ] && exit 0

# The vendored reflect2 1.0.1 builds under Go >= 1.18 but the server then dies with
# "fatal error: fault" on the first labelled object; Debian's 1.0.2 is the fix.
step "replacing vendored reflect2 with Debian's 1.0.2"
R2=/usr/share/gocode/src/github.com/modern-go/reflect2
rm -f "$BUILD"/vendor/github.com/modern-go/reflect2/*.go "$BUILD"/vendor/github.com/modern-go/reflect2/*.s
cp "$R2"/*.go "$BUILD/vendor/github.com/modern-go/reflect2/" || fail "copying reflect2"
cp "$R2"/*.s "$BUILD/vendor/github.com/modern-go/reflect2/" 2>/dev/null || true

mkdir -p "$BUILD/.go/src/k8s.io"
[ -e "$BUILD/.go/src/k8s.io/kubernetes" ] || ln -s ../../.. "$BUILD/.go/src/k8s.io/kubernetes"

# Measured on 2 shared cores: kube-apiserver 6-19 min cold, then (Go cache warm) kubelet ~3 min,
# kube-controller-manager + kube-scheduler ~2 min.
for name in "${WANT[@]}"; do
  # A failed earlier run can leave an empty binary that make then treats as up to date.
  find "$BUILD/_output" -type f -name "$name" -size 0 -delete 2>/dev/null || true
  step "building $name"
  t0=$SECONDS
  (
    cd "$BUILD/.go/src/k8s.io/kubernetes"
    GOPATH="$BUILD/.go" CGO_ENABLED=0 \
      make WHAT="cmd/$name" >"$CACHE/build-$name.log" 2>&1
  ) || { tail -20 "$CACHE/build-$name.log" >&2; fail "make WHAT=cmd/$name (log: $CACHE/build-$name.log)"; }
  BIN=$(find "$BUILD/_output" -type f -name "$name" -size +1M | head -1)
  [ -n "$BIN" ] || fail "locating the built $name"
  OUT="$CACHE/$name-v1.20.2"
  cp "$BIN" "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
  "$OUT" --version >&2 || fail "running the built $name"
  step "built $OUT in $((SECONDS - t0)) s"
done
