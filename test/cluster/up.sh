#!/usr/bin/env bash
# Starts etcd + kube-apiserver on free 127.0.0.1 ports with certificates, tokens, RBAC and a
# service-account issuer, and writes kubeconfigs and an in-cluster service-account folder.
#   bash test/cluster/up.sh [--no-node] [--version 1.20|current] [DIR]
#                                                 DIR default: a new temp folder; printed on stdout.
# --version (default: KUBEFETCH_CLUSTER_VERSION, else versions.sh's DEFAULT_VERSION) picks the
# stack install.sh builds: 1.20, or current (the release versions.sh pins, also named by its
# minor, e.g. 1.37). cluster.json's "version" is the running server's gitVersion.
# With a node (the default) it also starts containerd, kubelet, kube-controller-manager and
# kube-scheduler (node.sh); --no-node keeps the control plane only, for quick runs.
# DIR/cluster.json describes the cluster; `bash test/cluster/down.sh DIR` ends it.
# Running `up` on a DIR whose cluster is still running does nothing.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=test/cluster/versions.sh
. "$HERE/versions.sh"
log() { echo "[cluster/up] $*" >&2; }
fail() { echo "[cluster/up] FAILED: $*" >&2; exit 1; }

NODE=1 VERSION_ARG= DIR=
while [ $# -gt 0 ]; do
  case "$1" in
    --no-node) NODE= ;;
    --version) VERSION_ARG=${2:-}; shift ;;
    --version=*) VERSION_ARG=${1#--version=} ;;
    -*) echo "usage: up.sh [--no-node] [--version 1.20|current] [DIR]" >&2; exit 2 ;;
    *) DIR=$1 ;;
  esac
  shift
done
select_version "$VERSION_ARG" || exit 2
if [ -n "$DIR" ] && [ -f "$DIR/cluster.json" ] && [ -f "$DIR/kube-apiserver.pid" ] \
  && kill -0 "$(cat "$DIR/kube-apiserver.pid")" 2>/dev/null; then
  log "already up in $DIR"
  echo "$DIR"
  exit 0
fi
[ -n "$DIR" ] || DIR="$(mktemp -d "${TMPDIR:-/tmp}/kubefetch-cluster.XXXXXX")"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
# A start that fails half-way ends what it started (by the PIDs it recorded) and keeps the logs.
trap 'rc=$?; [ $rc = 0 ] || bash "$HERE/down.sh" --keep "$DIR" >/dev/null 2>&1; exit $rc' EXIT

bash "$HERE/install.sh" $([ -n "$NODE" ] || echo --no-node) --version "$K8S_VERSION" \
  || fail "installing prerequisites (see above)"
CACHE="${KUBEFETCH_CACHE:-$HOME/.cache/kubefetch}"
if [ "$STACK" = current ]; then
  APISERVER="${KUBE_APISERVER:-$CACHE/$K8S_VERSION/kube-apiserver}"
  ETCD_BIN="${ETCD:-$CACHE/etcd-$CURRENT_ETCD_VERSION/etcd}"
  ETCDCTL_BIN="${ETCDCTL:-$CACHE/etcd-$CURRENT_ETCD_VERSION/etcdctl}"
  KUBECTL_BIN="${KUBECTL:-$CACHE/$K8S_VERSION/kubectl}"
else
  APISERVER="${KUBE_APISERVER:-$CACHE/kube-apiserver-v1.20.2}"
  ETCD_BIN="${ETCD:-$(command -v etcd || true)}"
  ETCDCTL_BIN="${ETCDCTL:-$(command -v etcdctl || true)}"
  KUBECTL_BIN="${KUBECTL:-$(command -v kubectl || true)}"
fi
[ -x "$APISERVER" ] || fail "no kube-apiserver at $APISERVER (run: bash test/cluster/install.sh)"
[ -x "$ETCD_BIN" ] || fail "no etcd found (install etcd-server or set ETCD)"

# --- certificates ---------------------------------------------------------------------
PKI="$DIR/pki"
mkdir -p "$PKI"
ossl() { openssl "$@" >/dev/null 2>&1 || fail "openssl $1 ($*)"; }
sign() { # name subject [extfile]
  ossl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$PKI/$1.key" -out "$PKI/$1.csr"
  if [ -n "${3:-}" ]; then
    ossl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
      -days 3650 -out "$PKI/$1.crt" -extfile "$3"
  else
    ossl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
      -days 3650 -out "$PKI/$1.crt"
  fi
  rm -f "$PKI/$1.csr"
}
if [ ! -f "$PKI/ca.crt" ]; then
  log "making certificates"
  ossl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=kubefetch-test-ca" \
    -keyout "$PKI/ca.key" -out "$PKI/ca.crt"
  cat >"$PKI/serving.ext" <<EXT
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth
EXT
  printf 'extendedKeyUsage=clientAuth\n' >"$PKI/client.ext"
  sign serving "/CN=kube-apiserver" "$PKI/serving.ext"
  sign admin "/O=system:masters/CN=kubefetch-admin" "$PKI/client.ext"
  sign alice "/CN=alice" "$PKI/client.ext"
  ossl genrsa -out "$PKI/sa.key" 2048
  ossl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"
  ADMIN_TOKEN="$(openssl rand -hex 24)"
  BOB_TOKEN="$(openssl rand -hex 24)"
  # token,user,uid,"groups"
  printf '%s,kubefetch-token-admin,uid-admin,"system:masters"\n%s,bob,uid-bob\n' \
    "$ADMIN_TOKEN" "$BOB_TOKEN" >"$DIR/tokens.csv"
  chmod 600 "$DIR/tokens.csv" "$PKI"/*.key
fi
if [ -n "$NODE" ]; then
  # shellcheck source=test/cluster/node.sh
  . "$HERE/node.sh"
  node_binaries
  node_certs
fi
ADMIN_TOKEN="$(sed -n 1p "$DIR/tokens.csv" | cut -d, -f1)"
BOB_TOKEN="$(sed -n 2p "$DIR/tokens.csv" | cut -d, -f1)"

# --- ports and processes ---------------------------------------------------------------
free_ports() { # three distinct free loopback ports
  node -e '
    const net = require("node:net");
    const take = () => new Promise((res) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => res(s)); });
    Promise.all([take(), take(), take()]).then((ss) => { console.log(ss.map((s) => s.address().port).join(" ")); ss.forEach((s) => s.close()); });'
}

wait_http() { # url seconds pidfile [curl args...]: gives up early when pidfile's process ends
  local url=$1 secs=$2 pidf=$3; shift 3
  local deadline=$((SECONDS + secs))
  while [ $SECONDS -lt $deadline ]; do
    if curl -fsS --max-time 2 "$@" "$url" >/dev/null 2>&1; then return 0; fi
    alive "$pidf" || return 1
    sleep 0.2
  done
  return 1
}

# Starts a daemon in its own session, as one process whose PID is $! (setsid execs in place),
# holding none of the caller's open files beyond stdio (a caller's `flock` must not be held
# for the cluster's lifetime).
daemon() { # log command...
  local logf=$1; shift
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done
    exec setsid "$@" >"$logf" 2>&1 </dev/null
  ) &
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_etcd() {
  mkdir -p "$DIR/etcd"
  daemon "$DIR/etcd.log" "$ETCD_BIN" --name kubefetch --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$PEER_PORT" \
    --initial-cluster "kubefetch=http://127.0.0.1:$PEER_PORT" --log-level warn
  echo $! >"$DIR/etcd.pid"
}

apiserver_args() {
  cat <<ARGS
--etcd-servers=http://127.0.0.1:$ETCD_PORT
--bind-address=127.0.0.1
--advertise-address=127.0.0.1
--secure-port=$API_PORT
$([ "$STACK" = current ] || echo --insecure-port=0)
$([ "$STACK" != current ] || echo --endpoint-reconciler-type=none)
--cert-dir=$PKI
--tls-cert-file=$PKI/serving.crt
--tls-private-key-file=$PKI/serving.key
--client-ca-file=$PKI/ca.crt
--token-auth-file=$DIR/tokens.csv
$(if [ -n "$NODE" ]; then node_apiserver_args; else printf '%s\n' --authorization-mode=RBAC --disable-admission-plugins=ServiceAccount; fi)
--service-account-issuer=https://kubernetes.default.svc.cluster.local
--service-account-key-file=$PKI/sa.pub
--service-account-signing-key-file=$PKI/sa.key
--api-audiences=https://kubernetes.default.svc.cluster.local
--service-cluster-ip-range=10.0.0.0/24
--allow-privileged=true
--profiling=false
$([ "$STACK" = current ] || echo --logtostderr=true)
--v=0
ARGS
}

start_apiserver() {
  apiserver_args | grep -v "^$" >"$DIR/kube-apiserver.args"
  # shellcheck disable=SC2046
  daemon "$DIR/kube-apiserver.log" "$APISERVER" $(cat "$DIR/kube-apiserver.args")
  echo $! >"$DIR/kube-apiserver.pid"
}

# A port can be taken between choosing and binding: then choose again.
for attempt in 1 2 3 4 5; do
  read -r ETCD_PORT PEER_PORT API_PORT < <(free_ports)
  log "attempt $attempt: etcd :$ETCD_PORT, kube-apiserver :$API_PORT"
  start_etcd
  if ! wait_http "http://127.0.0.1:$ETCD_PORT/health" 30 "$DIR/etcd.pid" || ! alive "$DIR/etcd.pid"; then
    log "etcd did not start: $(tail -3 "$DIR/etcd.log" | tr '\n' ' ')"
    bash "$HERE/down.sh" --keep "$DIR" >/dev/null 2>&1 || true
    rm -rf "$DIR/etcd"
    continue
  fi
  start_apiserver
  if wait_http "https://127.0.0.1:$API_PORT/readyz" 90 "$DIR/kube-apiserver.pid" --cacert "$PKI/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN"; then
    break
  fi
  log "kube-apiserver did not become ready: $(grep -iE 'error|fatal|bind|failed' "$DIR/kube-apiserver.log" | tail -3 | cut -c1-300 | tr '\n' ' ')"
  bash "$HERE/down.sh" --keep "$DIR" >/dev/null 2>&1 || true
  rm -rf "$DIR/etcd"
  [ "$attempt" = 5 ] && fail "kube-apiserver did not start after 5 attempts (logs in $DIR)"
done
SERVER="https://127.0.0.1:$API_PORT"
SERVER_VERSION=$(curl -fsS --max-time 10 --cacert "$PKI/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" "$SERVER/version" \
  | jq -er .gitVersion) || fail "reading $SERVER/version"
log "ready at $SERVER ($SERVER_VERSION)"

# --- kubeconfigs -------------------------------------------------------------------------
kubeconfig() { # file user-yaml
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: kubefetch-test
  cluster:
    server: $SERVER
    certificate-authority: $PKI/ca.crt
contexts:
- name: kubefetch-test
  context:
    cluster: kubefetch-test
    user: $2
    namespace: default
current-context: kubefetch-test
users:
- name: $2
  user:
$3
KC
  chmod 600 "$1"
}
kubeconfig "$DIR/admin.kubeconfig" admin "    client-certificate: $PKI/admin.crt
    client-key: $PKI/admin.key"
kubeconfig "$DIR/token.kubeconfig" token-admin "    token: $ADMIN_TOKEN"
kubeconfig "$DIR/alice.kubeconfig" alice "    client-certificate: $PKI/alice.crt
    client-key: $PKI/alice.key"
kubeconfig "$DIR/bob.kubeconfig" bob "    token: $BOB_TOKEN"

# --- service account: the folder an in-cluster pod sees ---------------------------------------
api() { # method path [json]
  curl -fsS --max-time 10 --cacert "$PKI/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H "Content-Type: application/json" -X "$1" "$SERVER$2" ${3:+-d "$3"}
}
SA_NS=kubefetch-sa
if ! api GET "/api/v1/namespaces/$SA_NS/serviceaccounts/reader" >/dev/null 2>&1; then
  api POST /api/v1/namespaces "{\"metadata\":{\"name\":\"$SA_NS\"}}" >/dev/null || fail "creating namespace $SA_NS"
  api POST "/api/v1/namespaces/$SA_NS/serviceaccounts" '{"metadata":{"name":"reader"}}' >/dev/null \
    || fail "creating service account"
  api POST "/apis/rbac.authorization.k8s.io/v1/namespaces/$SA_NS/roles" '{"metadata":{"name":"reader"},"rules":[
    {"apiGroups":[""],"resources":["pods"],"verbs":["get","list","watch"]},
    {"apiGroups":[""],"resources":["configmaps"],"verbs":["get","list","watch","create","update","patch","delete"]}]}' \
    >/dev/null || fail "creating role"
  api POST "/apis/rbac.authorization.k8s.io/v1/namespaces/$SA_NS/rolebindings" '{"metadata":{"name":"reader"},
    "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"reader"},
    "subjects":[{"kind":"ServiceAccount","name":"reader","namespace":"'"$SA_NS"'"}]}' >/dev/null \
    || fail "creating role binding"
fi
mkdir -p "$DIR/serviceaccount"
api POST "/api/v1/namespaces/$SA_NS/serviceaccounts/reader/token" \
  '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":86400}}' \
  | jq -er .status.token | tr -d '\n' >"$DIR/serviceaccount/token" || fail "TokenRequest for the service account"
cp "$PKI/ca.crt" "$DIR/serviceaccount/ca.crt"
printf '%s' "$SA_NS" >"$DIR/serviceaccount/namespace"

NODE_JSON=null IMAGES_JSON=null
if [ -n "$NODE" ]; then
  read -r KUBELET_PORT _ < <(free_ports)
  node_up
  NODE_JSON=$(jq -cn --arg name "$NODE_NAME" --argjson port "$KUBELET_PORT" --arg dir "$NODE_DIR" \
    --arg sock "$CONTAINERD_SOCK" '{ name: $name, kubeletPort: $port, containerdSocket: $sock,
      kubeletRootDir: ($dir + "/kubelet"), podLogDir: ($dir + "/host/upper_var_log/pods") }')
fi

jq -n --arg dir "$DIR" --arg server "$SERVER" --argjson apiPort "$API_PORT" --argjson etcdPort "$ETCD_PORT" \
  --argjson peerPort "$PEER_PORT" --arg apiserver "$APISERVER" --arg etcd "$ETCD_BIN" --arg etcdctl "$ETCDCTL_BIN" \
  --arg adminToken "$ADMIN_TOKEN" --arg bobToken "$BOB_TOKEN" --arg saNamespace "$SA_NS" \
  --argjson node "$NODE_JSON" --argjson images "$IMAGES_JSON" --arg version "$SERVER_VERSION" \
  --arg kubectl "$KUBECTL_BIN" '{
    dir: $dir, server: $server, version: $version, kubectl: $kubectl, host: "127.0.0.1", apiPort: $apiPort,
    etcd: { endpoint: ("http://127.0.0.1:" + ($etcdPort|tostring)), peerPort: $peerPort, binary: $etcd, etcdctl: $etcdctl },
    apiserver: { binary: $apiserver, argsFile: ($dir + "/kube-apiserver.args"), pidFile: ($dir + "/kube-apiserver.pid"), log: ($dir + "/kube-apiserver.log") },
    ca: ($dir + "/pki/ca.crt"),
    kubeconfigs: { admin: ($dir + "/admin.kubeconfig"), token: ($dir + "/token.kubeconfig"),
                   unprivileged: ($dir + "/alice.kubeconfig"), unprivilegedToken: ($dir + "/bob.kubeconfig") },
    certs: { admin: { cert: ($dir + "/pki/admin.crt"), key: ($dir + "/pki/admin.key") },
             unprivileged: { cert: ($dir + "/pki/alice.crt"), key: ($dir + "/pki/alice.key") } },
    tokens: { admin: $adminToken, unprivileged: $bobToken },
    serviceAccount: { dir: ($dir + "/serviceaccount"), namespace: $saNamespace, name: "reader" },
    node: $node, images: $images
  }' >"$DIR/cluster.json"
log "wrote $DIR/cluster.json"
echo "$DIR"
