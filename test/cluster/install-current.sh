# install.sh's part for the current release (install.sh --version current); sourced by it
# (uses its CACHE, NODE, HERE, step, fail, ensure_pkgs and versions.sh's variables).
#
# Everything is built from published Go modules with the machine's Go (GOTOOLCHAIN=local):
#   build/kubernetes   k8s.io/kubernetes $CURRENT_K8S_VERSION: kube-apiserver and kubectl, and
#                      for a node kube-controller-manager, kube-scheduler and kubelet, in one
#                      `go build` so the packages they share compile once.
#   build/etcd         etcd and etcdctl at $CURRENT_ETCD_VERSION.
# Binaries land in $CACHE/$CURRENT_K8S_VERSION/ and $CACHE/etcd-$CURRENT_ETCD_VERSION/; a binary
# there that reports its version is kept, so a second run only checks.

# current_go_check: the machine's Go must be at least the build modules' go line.
current_go_check() {
  command -v go >/dev/null || fail "no go on PATH (the current release builds with Go >= 1.26)"
  local need have
  need=$(awk '$1 == "go" { print $2; exit }' "$HERE/build/kubernetes/go.mod")
  have=$(GOTOOLCHAIN=local go env GOVERSION | sed 's/^go//')
  if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
    fail "go $have is older than the go $need build/kubernetes/go.mod asks for"
  fi
  grep -qE "^[[:space:]]*k8s\.io/kubernetes $CURRENT_K8S_VERSION( |$)" "$HERE/build/kubernetes/go.mod" \
    || fail "build/kubernetes/go.mod does not require k8s.io/kubernetes $CURRENT_K8S_VERSION (run build/pin.sh)"
  grep -qE "^[[:space:]]*go\.etcd\.io/etcd/server/v3 $CURRENT_ETCD_VERSION( |$)" "$HERE/build/etcd/go.mod" \
    || fail "build/etcd/go.mod does not require etcd $CURRENT_ETCD_VERSION (run build/pin.sh)"
}

# current_has BIN VERSION ARGS...: BIN runs and its output for ARGS names VERSION.
current_has() {
  local bin=$1 version=$2 out; shift 2
  [ -x "$bin" ] && out=$("$bin" "$@" 2>&1) && [[ "$out" == *"$version"* ]]
}

# current_build MODULE OUTDIR GOFLAGS... -- PACKAGES...: one `go build` of PACKAGES in MODULE into a
# fresh folder, each binary then moved into OUTDIR (a failed build leaves OUTDIR as it was).
current_build() {
  local module=$1 out=$2; shift 2
  local flags=()
  while [ "$1" != -- ]; do flags+=("$1"); shift; done
  shift
  local tmp log t0=$SECONDS
  mkdir -p "$out"
  tmp=$(mktemp -d "$out/.build.XXXXXX")
  log="$CACHE/build-$(basename "$module")-$(basename "$out").log"
  step "building $* (log: $log)"
  (
    # shellcheck source=test/cluster/build/env.sh
    . "$HERE/build/env.sh"
    cd "$HERE/build/$module"
    nice -n 19 go build -trimpath "${flags[@]}" -o "$tmp/" "$@"
  ) >"$log" 2>&1 || { tail -20 "$log" >&2; rm -rf "$tmp"; fail "go build in build/$module (log: $log)"; }
  local f
  for f in "$tmp"/*; do mv -f "$f" "$out/"; done
  rm -rf "$tmp"
  step "built $* in $((SECONDS - t0)) s"
}

current_k8s_ldflags() {
  local major minor date x=""
  major=$(echo "$CURRENT_K8S_VERSION" | sed -E 's/^v([0-9]+)\..*/\1/')
  minor=$(echo "$CURRENT_K8S_VERSION" | sed -E 's/^v[0-9]+\.([0-9]+)\..*/\1/')
  # The release's publication time, so that a rebuild makes the same binaries.
  date=$(. "$HERE/build/env.sh" && cd "$HERE/build/kubernetes" && go list -m -json k8s.io/kubernetes | jq -r '.Time // empty')
  [ -n "$date" ] || date=1970-01-01T00:00:00Z
  date=$(date -u -d "$date" +%Y-%m-%dT%H:%M:%SZ)
  # As hack/lib/version.sh: both version packages, then -s -w as its non-debug builds.
  local pkg
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    x+=" -X '$pkg.gitVersion=$CURRENT_K8S_VERSION' -X '$pkg.gitMajor=$major' -X '$pkg.gitMinor=$minor'"
    x+=" -X '$pkg.buildDate=$date'"
  done
  echo "all=${x# } -s -w"
}

install_current() {
  local kdir="$CACHE/$CURRENT_K8S_VERSION" edir="$CACHE/etcd-$CURRENT_ETCD_VERSION"
  current_go_check

  # etcd and etcdctl (the server's main package is go.etcd.io/etcd/server/v3, built as "server").
  if [ -n "${ETCD:-}" ]; then
    [ -x "$ETCD" ] || fail "ETCD=$ETCD is not an executable"
    step "using ETCD=$ETCD"
  elif current_has "$edir/etcd" "${CURRENT_ETCD_VERSION#v}" --version \
    && current_has "$edir/etcdctl" "${CURRENT_ETCD_VERSION#v}" version; then
    step "cached: $edir/etcd, etcdctl"
  else
    current_build etcd "$edir" -ldflags=-s\ -w -- go.etcd.io/etcd/server/v3 go.etcd.io/etcd/etcdctl/v3
    mv -f "$edir/server" "$edir/etcd"
    "$edir/etcd" --version >&2 || fail "running the built etcd"
  fi

  # The Kubernetes binaries this cluster needs that are neither given nor cached.
  local want=() name var
  for name in kube-apiserver kubectl ${NODE:+kube-controller-manager kube-scheduler kubelet}; do
    case $name in
      kube-apiserver) var=KUBE_APISERVER ;;
      kube-controller-manager) var=KUBE_CONTROLLER_MANAGER ;;
      kube-scheduler) var=KUBE_SCHEDULER ;;
      kubelet) var=KUBELET ;;
      kubectl) var=KUBECTL ;;
    esac
    if [ -n "${!var:-}" ]; then
      [ -x "${!var}" ] || fail "$var=${!var} is not an executable"
      step "using $var=${!var}"
    elif [ "$name" = kubectl ] && current_has "$kdir/kubectl" "$CURRENT_K8S_VERSION" version --client; then
      step "cached: $kdir/kubectl"
    elif [ "$name" != kubectl ] && current_has "$kdir/$name" "$CURRENT_K8S_VERSION" --version; then
      step "cached: $kdir/$name"
    else
      want+=("k8s.io/kubernetes/cmd/$name")
    fi
  done
  if [ ${#want[@]} -gt 0 ]; then
    current_build kubernetes "$kdir" -tags=selinux,notest,grpcnotrace -ldflags="$(current_k8s_ldflags)" -- "${want[@]}"
    for name in "${want[@]}"; do
      name=${name##*/}
      if [ "$name" = kubectl ]; then
        current_has "$kdir/kubectl" "$CURRENT_K8S_VERSION" version --client || fail "the built kubectl is not $CURRENT_K8S_VERSION"
      else
        current_has "$kdir/$name" "$CURRENT_K8S_VERSION" --version || fail "the built $name is not $CURRENT_K8S_VERSION"
      fi
    done
  fi

  # The node: runtime and image inputs as for the old stack; the pause image's source is the
  # release's own build/pause (in the module cache).
  if [ -n "$NODE" ]; then
    ensure_pkgs containerd runc containernetworking-plugins busybox-static gcc libc6-dev util-linux iproute2
    [ -f "$(current_pause_c)" ] || fail "no build/pause/linux/pause.c in k8s.io/kubernetes@$CURRENT_K8S_VERSION"
  fi
}

# current_pause_c: the path of the release's pause.c (downloads the module if needed).
current_pause_c() {
  local dir
  dir=$(. "$HERE/build/env.sh" && cd "$HERE/build/kubernetes" && go mod download -json "k8s.io/kubernetes@$CURRENT_K8S_VERSION" | jq -r .Dir)
  echo "$dir/build/pause/linux/pause.c"
}
