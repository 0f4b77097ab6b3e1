#!/usr/bin/env bash
# Builds the test node's container images locally (no registry is reachable) as OCI layout
# tarballs, cached in $CACHE/images under a key of their inputs, and prints one line per image:
#   NAME TARBALL
# Images (fixed names; pods use imagePullPolicy: Never):
#   kubefetch.test/pause:3.4    the sandbox: build/pause/linux/pause.c of the kubernetes source, gcc -static
#   kubefetch.test/busybox:1    busybox-static and its applet links
#   kubefetch.test/node:1       the busybox rootfs + this machine's node (binary, the libraries ldd
#                               lists, the loader) + this machine's kubectl (static), for programs
#                               built by the tests and for `kubectl proxy` sidecars
# Usage: bash test/cluster/images.sh      (KUBEFETCH_CACHE as install.sh)
set -euo pipefail
CACHE="${KUBEFETCH_CACHE:-$HOME/.cache/kubefetch}"
OUT="$CACHE/images"
PAUSE_C="${PAUSE_C:-$CACHE/build/build/pause/linux/pause.c}"
BUSYBOX=/usr/bin/busybox
NODE_BIN="$(readlink -f "$(command -v node)")"
KUBECTL_BIN="$(readlink -f "$(command -v kubectl)")"
SELF="$(readlink -f "$0")"

step() { echo "[cluster/images] $*" >&2; }
fail() { echo "[cluster/images] FAILED: $*" >&2; exit 1; }

[ -f "$PAUSE_C" ] || fail "no $PAUSE_C (run: bash test/cluster/install.sh)"
[ -x "$BUSYBOX" ] || fail "no $BUSYBOX (apt-get install busybox-static)"
"$BUSYBOX" --list >/dev/null 2>&1 || fail "$BUSYBOX is not a busybox"
command -v gcc >/dev/null || fail "no gcc"
mkdir -p "$OUT"

sha() { sha256sum "$1" | cut -d' ' -f1; }

# oci_image NAME ENTRYPOINT_JSON ROOTFS TARBALL: one gzip layer of ROOTFS, a config, a manifest
# and an index whose annotation names the image for `ctr images import`. Reproducible: fixed
# mtimes, owners and order, gzip without a name or time.
oci_image() {
  local name=$1 entry=$2 rootfs=$3 tarball=$4 work
  work="$(mktemp -d "$OUT/.work.XXXXXX")"
  mkdir -p "$work/blobs/sha256"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$work/layer.tar" .
  local diff_id
  diff_id=$(sha "$work/layer.tar")
  gzip -n -6 <"$work/layer.tar" >"$work/layer.tgz"
  local layer layer_size
  layer=$(sha "$work/layer.tgz")
  layer_size=$(stat -c %s "$work/layer.tgz")
  mv "$work/layer.tgz" "$work/blobs/sha256/$layer"
  rm -f "$work/layer.tar"
  jq -cn --argjson entry "$entry" --arg diff "sha256:$diff_id" '{
    architecture: "amd64", os: "linux",
    config: { Entrypoint: $entry, Env: ["PATH=/usr/local/bin:/usr/bin:/bin"], WorkingDir: "/" },
    rootfs: { type: "layers", diff_ids: [$diff] } }' >"$work/config.json"
  local config config_size
  config=$(sha "$work/config.json")
  config_size=$(stat -c %s "$work/config.json")
  mv "$work/config.json" "$work/blobs/sha256/$config"
  jq -cn --arg c "sha256:$config" --argjson cs "$config_size" --arg l "sha256:$layer" --argjson ls "$layer_size" '{
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $l, size: $ls }] }' \
    >"$work/manifest.json"
  local manifest manifest_size
  manifest=$(sha "$work/manifest.json")
  manifest_size=$(stat -c %s "$work/manifest.json")
  mv "$work/manifest.json" "$work/blobs/sha256/$manifest"
  jq -cn --arg m "sha256:$manifest" --argjson ms "$manifest_size" --arg name "$name" '{
    schemaVersion: 2,
    manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
      annotations: { "io.containerd.image.name": $name, "org.opencontainers.image.ref.name": ($name | split(":") | last) } }] }' \
    >"$work/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work" -cf "$tarball.tmp" oci-layout index.json blobs
  mv "$tarball.tmp" "$tarball"
  rm -rf "$work"
}

# busybox_rootfs DIR: busybox and a link per applet in /bin, plus the folders programs expect.
busybox_rootfs() {
  local root=$1
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/root" "$root/var/run"
  chmod 1777 "$root/tmp"
  cp "$BUSYBOX" "$root/bin/busybox"
  local applet
  for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  for applet in sh echo cat sleep httpd nc wc md5sum tar; do
    [ -L "$root/bin/$applet" ] || fail "busybox has no $applet applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  # No DNS query may leave the machine: the only resolver is one nothing answers on loopback.
  printf 'nameserver 127.0.0.1\n' >"$root/etc/resolv.conf"
  printf '127.0.0.1 localhost\n' >"$root/etc/hosts"
}

# build NAME FILE KEY-INPUTS... : runs make_NAME into a rootfs unless the keyed tarball exists.
build() {
  local name=$1 short=$2 entry=$3 key; shift 3
  key=$( { sha "$SELF"; for f in "$@"; do sha "$f"; done; } | sha256sum | cut -c1-16)
  local tarball="$OUT/$short-$key.tar"
  if [ ! -s "$tarball" ]; then
    step "building $name"
    local root
    root="$(mktemp -d "$OUT/.rootfs.XXXXXX")"
    "make_$short" "$root"
    oci_image "$name" "$entry" "$root" "$tarball"
    rm -rf "$root"
  fi
  echo "$name $tarball"
}

make_pause() {
  mkdir -p "$1"
  gcc -Os -static -DVERSION=3.4-kubefetch -o "$1/pause" "$PAUSE_C" || fail "gcc -static $PAUSE_C"
  strip "$1/pause" 2>/dev/null || true
}

make_busybox() { busybox_rootfs "$1"; }

make_node() {
  local root=$1 lib
  busybox_rootfs "$root"
  mkdir -p "$root/usr/local/bin"
  cp "$NODE_BIN" "$root/usr/local/bin/node"
  cp "$KUBECTL_BIN" "$root/usr/local/bin/kubectl"
  # Every library the binary links and the loader, at the paths ldd names.
  for lib in $(ldd "$NODE_BIN" | grep -oE '/[^ ]+'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

build kubefetch.test/pause:3.4 pause '["/pause"]' "$PAUSE_C"
build kubefetch.test/busybox:1 busybox '["/bin/sh"]' "$BUSYBOX"
build kubefetch.test/node:1 node '["/usr/local/bin/node"]' "$BUSYBOX" "$NODE_BIN" "$KUBECTL_BIN" \
  $(ldd "$NODE_BIN" | grep -oE '/[^ ]+' | xargs -r readlink -f)
