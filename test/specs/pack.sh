#!/usr/bin/env bash
# Rebuilds kubernetes-specs.tar.xz from an uncompressed corpus folder (same layout as the
# archive: 1.10 ... 1.36, crds/, extra/, PROVENANCE.json, README.md).
#   bash test/specs/pack.sh SRC_DIR
# Fixed order, owner and mtime: the same files give the same bytes, so the cache key
# (the archive's sha256) only changes when the specs do. xz -9e sees the versions'
# shared text across its 64 MB window: 95 MB of JSON become under 0.5 MB.
set -euo pipefail
src=${1:?usage: bash test/specs/pack.sh SRC_DIR}
out="$(dirname "$0")/kubernetes-specs.tar.xz"
tar -C "$src" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - . | xz -9e -T1 >"$out.tmp"
mv "$out.tmp" "$out"
sha256sum "$out"
