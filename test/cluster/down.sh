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

# Alive and not a zombie (an ended daemon waits for its new parent to reap it).
running() { kill -0 "$1" 2>/dev/null && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]; }
stop() { # pidfile [signal]: TERM, then KILL after 5 s
  [ -f "$1" ] || return 0
  local pid
  pid="$(cat "$1")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "-${2:-TERM}" "$pid" 2>/dev/null
    for _ in $(seq 1 50); do running "$pid" || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}
# The node (up.sh without --no-node): kubelet first, so nothing restarts the containers; then
# the containers themselves (descendants of the shims, each in a mount namespace of its own),
# containerd and the shims (members of the node's mount namespace), and last the process
# that holds that namespace: with it go every mount kubelet and containerd made. Cgroups the
# containers leave behind (runc removes a cgroup only when its task is deleted) are removed.
members_of_ns() { # mount-namespace-link exclude-pid (one find, not a readlink per process)
  find /proc/[0-9]*/ns/mnt -maxdepth 0 -printf '%l %h\n' 2>/dev/null \
    | awk -v ns="$1" -v not="$2" '$1 == ns { split($2, p, "/"); if (p[3] != not) print p[3] }'
}
descendants_of() { # pids...: every process below them
  [ $# -gt 0 ] || return 0
  # "pid ppid" of every process (the command name in stat may hold spaces: cut after its ")").
  cat /proc/[0-9]*/stat 2>/dev/null | sed -n 's/^\([0-9]*\) .*) [A-Za-z] \([0-9]*\) .*/\1 \2/p' \
    | awk -v roots="$*" 'BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) in_set[r[i]] = 1 }
      { parent[$1] = $2 }
      END { do { more = 0; for (p in parent) if (!(p in in_set) && (parent[p] in in_set)) { in_set[p] = 1; out = out " " p; more = 1 } } while (more); print out }'
}
CGROUP2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
cgroups_of() { # pids...: their cgroup folders that are not this script's own
  local p ctrls path own
  own=$(cut -d: -f2- /proc/$$/cgroup)
  for p in "$@"; do
    while IFS=: read -r _ ctrls path; do
      [ "$path" != / ] || continue
      grep -qxF "$ctrls:$path" <<<"$own" && continue
      if [ -z "$ctrls" ]; then
        [ -n "$CGROUP2" ] && [ -d "$CGROUP2$path" ] && echo "$CGROUP2$path"
      else
        ctrls=${ctrls#name=}
        [ -d "/sys/fs/cgroup/$ctrls$path" ] && echo "/sys/fs/cgroup/$ctrls$path"
      fi
    done <"/proc/$p/cgroup" 2>/dev/null
  done
}
wait_gone() { # pids...
  local p
  for _ in $(seq 1 50); do
    for p in "$@"; do running "$p" && break; done
    running "$p" || return 0
    sleep 0.1
  done
}
node_down() {
  # A non-hostNetwork pod makes the CNI bridge in the host's network namespace: ours by name.
  if [ -f "$DIR/node/bridge" ] && ip link show "$(cat "$DIR/node/bridge")" >/dev/null 2>&1; then
    ip link delete "$(cat "$DIR/node/bridge")" 2>/dev/null
  fi
  [ -f "$DIR/mountns.pid" ] || return 0
  # Their state is thrown away with the folder, and kubelet and the scheduler take seconds on TERM.
  stop "$DIR/kubelet.pid" KILL
  stop "$DIR/kube-scheduler.pid" KILL
  stop "$DIR/kube-controller-manager.pid" KILL
  local holder ns members containers cgroups
  holder=$(cat "$DIR/mountns.pid")
  if kill -0 "$holder" 2>/dev/null; then
    ns=$(readlink "/proc/$holder/ns/mnt")
    members=$(members_of_ns "$ns" "$holder")
    # shellcheck disable=SC2086
    containers=$(descendants_of $members)
    # shellcheck disable=SC2086
    cgroups=$(cgroups_of $containers $members | sort -u)
    # shellcheck disable=SC2086
    [ -z "$containers" ] || { kill -KILL $containers 2>/dev/null; wait_gone $containers; }
    stop "$DIR/containerd.pid" KILL
    members=$(members_of_ns "$ns" "$holder")
    # shellcheck disable=SC2086
    [ -z "$members" ] || { kill -KILL $members 2>/dev/null; wait_gone $members; }
    stop "$DIR/mountns.pid" KILL
    local c
    # Deepest first; a parent named k8s.io (containerd's default) goes when it is left empty.
    for c in $(echo "$cgroups" | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2-); do
      rmdir "$c" 2>/dev/null
      [ "$(basename "$(dirname "$c")")" = k8s.io ] && rmdir "$(dirname "$c")" 2>/dev/null
    done
  fi
  stop "$DIR/containerd.pid"
  stop "$DIR/mountns.pid"
  return 0
}
node_down

# The API server first: it holds etcd connections.
stop "$DIR/kube-apiserver.pid"
stop "$DIR/etcd.pid"
if [ -z "$KEEP" ]; then
  # Only remove what up.sh made: a folder with its marker files.
  if [ -f "$DIR/tokens.csv" ] || [ -d "$DIR/pki" ]; then rm -rf "$DIR"; fi
fi
exit 0
