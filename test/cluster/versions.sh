# The versions the test cluster runs, in one place. Sourced by install.sh, up.sh and
# build/pin.sh; build/*/go.mod must agree (build/pin.sh rewrites them from here, install.sh
# refuses a mismatch).

# What install.sh and up.sh run without --version (or KUBEFETCH_CLUSTER_VERSION):
# "1.20" (the old stack) or "current".
DEFAULT_VERSION=current

# The current release: the newest non-prerelease k8s.io/kubernetes the module proxy serves
# (`go list -m -versions k8s.io/kubernetes`), built from its Go modules.
CURRENT_K8S_VERSION=v1.37.2
# The etcd that release's own hack/lib/etcd.sh (ETCD_VERSION) and build/dependencies.yaml name.
CURRENT_ETCD_VERSION=v3.7.0

# The old stack: kube-apiserver and the node's binaries from Debian bookworm's kubernetes
# source package, etcd and containerd from Debian.
OLD_K8S_VERSION=v1.20.2
OLD_K8S_DEB_VERSION="1.20.5+really1.20.2-1.1+deb12u1"
OLD_K8S_ORIG="kubernetes_1.20.5+really1.20.2.orig.tar.gz"

# select_version ARG: sets STACK (old|current) and K8S_VERSION from 1.20, v1.20.2, current,
# 1.37, v1.37.2 (the minor or the full version of one of the two); empty means the default.
select_version() {
  local want=${1:-${KUBEFETCH_CLUSTER_VERSION:-$DEFAULT_VERSION}}
  local cur_minor old_minor
  cur_minor=$(echo "$CURRENT_K8S_VERSION" | sed -E 's/^v([0-9]+\.[0-9]+)\..*/\1/')
  old_minor=$(echo "$OLD_K8S_VERSION" | sed -E 's/^v([0-9]+\.[0-9]+)\..*/\1/')
  case "${want#v}" in
    current | "$cur_minor" | "${CURRENT_K8S_VERSION#v}") STACK=current K8S_VERSION=$CURRENT_K8S_VERSION ;;
    old | "$old_minor" | "${OLD_K8S_VERSION#v}") STACK=old K8S_VERSION=$OLD_K8S_VERSION ;;
    *)
      echo "unknown cluster version '$want': use $old_minor or current ($cur_minor)" >&2
      return 1
      ;;
  esac
}
