#!/usr/bin/env bash
# Ends the cluster that `up.sh DIR` started, by the PIDs it recorded, and removes DIR.
#   bash test/cluster/down.sh [--keep] DIR     --keep: end the processes, keep the files.
# Harmless when nothing runs or DIR is gone.
set -uo pipefail
KEEP=
if [ "${1:-}" = "--keep" ]; then KEEP=1; shift; fi
DIR="${1:-}"
[ -n "$DIR" ] || { echo "usage: down.sh [--keep] DIR" >&2; exit 2; }
[ -d "$DIR" ] || exit 0

stop() { # pidfile
  [ -f "$1" ] || return 0
  local pid
  pid="$(cat "$1")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}
# The API server first: it holds etcd connections.
stop "$DIR/kube-apiserver.pid"
stop "$DIR/etcd.pid"
if [ -z "$KEEP" ]; then
  # Only remove what up.sh made: a folder with its marker files.
  if [ -f "$DIR/tokens.csv" ] || [ -d "$DIR/pki" ]; then rm -rf "$DIR"; fi
fi
exit 0
