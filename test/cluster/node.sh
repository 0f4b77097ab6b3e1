# The test cluster's node: containerd, kubelet, kube-controller-manager and kube-scheduler.
# Sourced by up.sh (uses its DIR, PKI, SERVER, API_PORT, ADMIN_TOKEN, STACK, K8S_VERSION, log,
# fail, sign, ossl). STACK=old runs the 1.20 binaries, STACK=current the release versions.sh
# pins; where their flags or behaviour differ, the function says so.
#
# kubelet 1.20 sets host sysctls (kernel.panic=10, kernel.panic_on_oops=1,
# vm.overcommit_memory=1, ...) and writes fixed host paths (/var/log/pods,
# /var/lib/kubelet/device-plugins); containerd writes /run/containerd and /var/lib/cni. The
# machines are shared, so both run in a private mount namespace (held by one `sleep` process)
# where /var/log, /var/lib, /run and /opt are overlays whose writes land in DIR/node/host, and
# those /proc/sys files are files in DIR/node/host/sysctl. The host sees none of it.
#
# Network: pods use hostNetwork and reach the apiserver on 127.0.0.1; the apiserver reaches
# the kubelet as `localhost` (--kubelet-preferred-address-types=Hostname). The CNI bridge
# exists only so the node becomes Ready: no gateway, no masquerade, no route out. Image pulls
# go to a proxy on 127.0.0.1 nothing serves, so a pod naming an image we did not build fails
# to pull without a packet leaving the machine.

NODE_NAME=localhost
NODE_DIR="$DIR/node"
NODE_SYSCTLS="kernel/panic kernel/panic_on_oops vm/overcommit_memory vm/panic_on_oom kernel/keys/root_maxkeys kernel/keys/root_maxbytes"
NODE_OVERLAYS="/var/log /var/lib /run /opt"
PAUSE_IMAGE=kubefetch.test/pause:3.4

node_binaries() {
  if [ "$STACK" = current ]; then
    KUBELET_BIN="${KUBELET:-$CACHE/$K8S_VERSION/kubelet}"
    KCM_BIN="${KUBE_CONTROLLER_MANAGER:-$CACHE/$K8S_VERSION/kube-controller-manager}"
    SCHED_BIN="${KUBE_SCHEDULER:-$CACHE/$K8S_VERSION/kube-scheduler}"
  else
    KUBELET_BIN="${KUBELET:-$CACHE/kubelet-v1.20.2}"
    KCM_BIN="${KUBE_CONTROLLER_MANAGER:-$CACHE/kube-controller-manager-v1.20.2}"
    SCHED_BIN="${KUBE_SCHEDULER:-$CACHE/kube-scheduler-v1.20.2}"
  fi
  for b in "$KUBELET_BIN" "$KCM_BIN" "$SCHED_BIN"; do
    [ -x "$b" ] || fail "no $b (run: bash test/cluster/install.sh)"
  done
  for b in containerd containerd-shim-runc-v2 runc ctr unshare nsenter; do
    command -v "$b" >/dev/null || fail "no $b (run: bash test/cluster/install.sh)"
  done
  # The pause image's source: the release's own build/pause.
  if [ "$STACK" = current ]; then
    # shellcheck source=test/cluster/install-current.sh
    . "$HERE/install-current.sh"
    NODE_PAUSE_C="${PAUSE_C:-$(current_pause_c)}"
  else
    NODE_PAUSE_C="${PAUSE_C:-$CACHE/build/build/pause/linux/pause.c}"
  fi
  CNI_BIN="${CNI_BIN_DIR:-/usr/lib/cni}"
  [ -x "$CNI_BIN/bridge" ] && [ -x "$CNI_BIN/host-local" ] && [ -x "$CNI_BIN/loopback" ] \
    || fail "no CNI plugins in $CNI_BIN (apt-get install containernetworking-plugins)"
}

# Certificates: the kubelet's serving certificate (SAN localhost, 127.0.0.1), its client
# identity system:node:localhost, the apiserver's client certificate for the kubelet, and the
# controller-manager's and scheduler's identities (their bootstrap RBAC bindings exist).
node_certs() {
  [ -f "$PKI/kubelet-serving.crt" ] && return 0
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$PKI/kubelet-serving.ext"
  sign kubelet-serving "/CN=localhost" "$PKI/kubelet-serving.ext"
  sign kubelet-client "/O=system:nodes/CN=system:node:$NODE_NAME" "$PKI/client.ext"
  sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$PKI/client.ext"
  sign controller-manager "/CN=system:kube-controller-manager" "$PKI/client.ext"
  sign scheduler "/CN=system:kube-scheduler" "$PKI/client.ext"
  chmod 600 "$PKI"/*.key
}

# What the apiserver needs for a node: the kubelet's address, a client certificate for it,
# Node authorization, and the ServiceAccount admission that mounts a pod's token.
node_apiserver_args() {
  cat <<ARGS
--kubelet-client-certificate=$PKI/apiserver-kubelet-client.crt
--kubelet-client-key=$PKI/apiserver-kubelet-client.key
--kubelet-certificate-authority=$PKI/ca.crt
--kubelet-preferred-address-types=Hostname
--authorization-mode=Node,RBAC
--enable-admission-plugins=ServiceAccount
ARGS
}

node_kubeconfig() { # file cert-name
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: kubefetch-test
  cluster: { server: "$SERVER", certificate-authority: "$PKI/ca.crt" }
contexts:
- name: kubefetch-test
  context: { cluster: kubefetch-test, user: u }
current-context: kubefetch-test
users:
- name: u
  user: { client-certificate: "$PKI/$2.crt", client-key: "$PKI/$2.key" }
KC
  chmod 600 "$1"
}

# The private mount namespace, held by a `sleep` whose PID down.sh ends last.
node_mount_namespace() {
  local host="$NODE_DIR/host"
  mkdir -p "$host/sysctl"
  daemon /dev/null unshare --mount --propagation private sleep infinity
  echo $! >"$DIR/mountns.pid"
  local holder; holder=$(cat "$DIR/mountns.pid")
  for _ in $(seq 1 50); do
    [ "$(readlink "/proc/$holder/ns/mnt" 2>/dev/null)" != "$(readlink /proc/self/ns/mnt)" ] && break
    sleep 0.05
  done
  [ "$(readlink "/proc/$holder/ns/mnt" 2>/dev/null)" != "$(readlink /proc/self/ns/mnt)" ] \
    || fail "unshare --mount did not make a mount namespace"
  local script="" p f name
  for p in $NODE_OVERLAYS; do
    name=$(echo "$p" | tr / _)
    mkdir -p "$host/upper$name" "$host/work$name"
    script+="mount -t overlay overlay -o lowerdir=$p,upperdir=$host/upper$name,workdir=$host/work$name $p || exit 1;"
  done
  for f in $NODE_SYSCTLS; do
    name=$(echo "$f" | tr / .)
    cat "/proc/sys/$f" >"$host/sysctl/$name"
    script+="mount --bind $host/sysctl/$name /proc/sys/$f || exit 1;"
  done
  nsenter -t "$holder" -m sh -c "$script" || fail "setting up the node's mount namespace"
}

node_containerd_config() {
  local c="$NODE_DIR/containerd"
  mkdir -p "$c/root" "$c/state" "$c/opt" "$NODE_DIR/cni/net.d" "$NODE_DIR/cni/ipam"
  CONTAINERD_SOCK="$c/containerd.sock"
  cat >"$c/config.toml" <<TOML
version = 2
root = "$c/root"
state = "$c/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$c/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_tcp_service = true
  disable_apparmor = true
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$NODE_DIR/cni/net.d"
TOML
  # A bridge name of our own (<= 15 chars), deleted by down.sh if a non-hostNetwork pod made it.
  NODE_BRIDGE="kf$(printf '%s' "$DIR" | sha256sum | cut -c1-10)"
  echo "$NODE_BRIDGE" >"$NODE_DIR/bridge"
  cat >"$NODE_DIR/cni/net.d/10-kubefetch.conflist" <<CNI
{
  "cniVersion": "0.4.0",
  "name": "kubefetch",
  "plugins": [
    { "type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": false, "isDefaultGateway": false,
      "ipMasq": false, "hairpinMode": false,
      "ipam": { "type": "host-local", "dataDir": "$NODE_DIR/cni/ipam",
                "ranges": [[{ "subnet": "10.244.0.0/24" }]], "routes": [] } },
    { "type": "loopback" }
  ]
}
CNI
}

node_kubelet_config() {
  mkdir -p "$NODE_DIR/kubelet" "$NODE_DIR/kubelet-pki" "$NODE_DIR/volume-plugins"
  printf 'nameserver 127.0.0.1\n' >"$NODE_DIR/resolv.conf"
  node_kubeconfig "$NODE_DIR/kubelet.kubeconfig" kubelet-client
  cat >"$NODE_DIR/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzPort: 0
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: false }
  x509: { clientCAFile: $PKI/ca.crt }
authorization: { mode: Webhook }
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
makeIPTablesUtilChains: false
resolvConf: $NODE_DIR/resolv.conf
nodeStatusUpdateFrequency: 2s
nodeStatusReportFrequency: 10s
syncFrequency: 10s
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: "1Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%" }
YAML
  # kubelet >= 1.35 refuses a cgroup v1 host unless told otherwise; the runtime's endpoint is
  # configuration (its flag is deprecated).
  if [ "$STACK" = current ]; then
    cat >>"$NODE_DIR/kubelet.yaml" <<YAML
failCgroupV1: false
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
YAML
  fi
}

node_start_daemon() { # name command...  (inside the mount namespace when name is containerd/kubelet)
  local name=$1; shift
  daemon "$DIR/$name.log" "$@"
  echo $! >"$DIR/$name.pid"
}

# Waits until cmd succeeds, or fails with the named log's last lines.
node_wait() { # what seconds log cmd...
  local what=$1 secs=$2 logf=$3; shift 3
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      fail "$what within ${secs}s: $(tail -5 "$logf" 2>/dev/null | cut -c1-300 | tr '\n' ' ')"
    fi
    sleep 0.3
  done
}

node_images_import() {
  local name tarball
  IMAGES_JSON="{}"
  while read -r name tarball; do
    ctr -a "$CONTAINERD_SOCK" -n k8s.io images import "$tarball" >/dev/null \
      || fail "importing $name ($tarball)"
    case "$name" in
      *pause*) IMAGES_JSON=$(jq -c --arg n "$name" '.pause = $n' <<<"$IMAGES_JSON") ;;
      *busybox*) IMAGES_JSON=$(jq -c --arg n "$name" '.busybox = $n' <<<"$IMAGES_JSON") ;;
      *node*) IMAGES_JSON=$(jq -c --arg n "$name" '.node = $n' <<<"$IMAGES_JSON") ;;
    esac
  done < <(PAUSE_C="$NODE_PAUSE_C" bash "$HERE/images.sh" || echo "FAILED -")
  [ "$(jq 'length' <<<"$IMAGES_JSON")" = 3 ] || fail "building the node's images (see above)"
}

node_up() {
  node_binaries
  local holder t0=$SECONDS
  log "node: mount namespace, containerd"
  node_mount_namespace
  holder=$(cat "$DIR/mountns.pid")
  node_containerd_config
  # Pulls of images we did not build go to a proxy on loopback that nothing serves (Go never
  # proxies loopback, so the daemons still reach the apiserver). The kubelet's in-tree ECR
  # credential provider would ask the EC2 metadata address at start: disabled, and proxied too.
  local offline=(env HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= AWS_EC2_METADATA_DISABLED=true)
  node_start_daemon containerd nsenter -t "$holder" -m "${offline[@]}" containerd --config "$NODE_DIR/containerd/config.toml"
  node_wait "containerd did not start" 30 "$DIR/containerd.log" ctr -a "$CONTAINERD_SOCK" version
  node_images_import

  log "node: kube-controller-manager, kube-scheduler, kubelet (:$KUBELET_PORT)"
  node_kubeconfig "$NODE_DIR/controller-manager.kubeconfig" controller-manager
  node_kubeconfig "$NODE_DIR/scheduler.kubeconfig" scheduler
  mkdir -p "$NODE_DIR/flex"
  # Without the namespace controller a deleted namespace stays Terminating, and without the
  # root-CA publisher no ConfigMap appears in new namespaces: tests written for the
  # control-plane-only cluster keep their meaning (1.20's token secrets carry ca.crt anyway).
  # The current release: no insecure ports to close and no --logtostderr (klog's flags went in
  # 1.26); a pod's service-account token is a projected volume that needs the root-CA
  # publisher's kube-root-ca.crt ConfigMap in its namespace, so that controller runs there.
  local old_flags=() controllers='*,-nodeipam,-cloud-node-lifecycle,-namespace,-root-ca-cert-publisher'
  if [ "$STACK" = current ]; then
    # (cloud-node-lifecycle moved to the cloud-controller-manager: naming it is an error)
    controllers='*,-node-ipam-controller,-namespace-controller'
  else
    old_flags=(--port=0 --logtostderr=true)
  fi
  node_start_daemon kube-controller-manager "${offline[@]}" "$KCM_BIN" \
    --kubeconfig="$NODE_DIR/controller-manager.kubeconfig" \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --use-service-account-credentials=true --leader-elect=false \
    --controllers="$controllers" \
    --flex-volume-plugin-dir="$NODE_DIR/flex" "${old_flags[@]}" --secure-port=0 \
    --node-monitor-period=2s --profiling=false --v=0
  node_start_daemon kube-scheduler "${offline[@]}" "$SCHED_BIN" --kubeconfig="$NODE_DIR/scheduler.kubeconfig" \
    --leader-elect=false "${old_flags[@]}" --secure-port=0 --profiling=false --v=0
  node_kubelet_config
  # The current kubelet: the runtime is always remote (endpoint in its config) and the sandbox
  # image is containerd's sandbox_image alone.
  local kubelet_old=()
  if [ "$STACK" != current ]; then
    kubelet_old=(--container-runtime=remote --container-runtime-endpoint="unix://$CONTAINERD_SOCK"
      --pod-infra-container-image="$PAUSE_IMAGE" --logtostderr=true)
  fi
  node_start_daemon kubelet nsenter -t "$holder" -m "${offline[@]}" "$KUBELET_BIN" \
    --config="$NODE_DIR/kubelet.yaml" --kubeconfig="$NODE_DIR/kubelet.kubeconfig" "${kubelet_old[@]}" \
    --runtime-request-timeout=2m --hostname-override="$NODE_NAME" \
    --root-dir="$NODE_DIR/kubelet" --cert-dir="$NODE_DIR/kubelet-pki" \
    --volume-plugin-dir="$NODE_DIR/volume-plugins" --v=1

  node_ready() {
    api GET "/api/v1/nodes/$NODE_NAME" | jq -e '.status.conditions[] | select(.type == "Ready" and .status == "True")' \
      && alive "$DIR/kubelet.pid"
  }
  node_wait "node $NODE_NAME not Ready" 120 "$DIR/kubelet.log" node_ready
  if [ "$STACK" = current ]; then
    # No token secrets since 1.24: pods are refused until their namespace's default
    # ServiceAccount exists, and their projected token volume waits for kube-root-ca.crt.
    sa_ready() { api GET "/api/v1/namespaces/$1/serviceaccounts/default" && api GET "/api/v1/namespaces/$1/configmaps/kube-root-ca.crt"; }
    node_wait "no default ServiceAccount and kube-root-ca.crt" 60 "$DIR/kube-controller-manager.log" sa_ready default
    node_wait "no default ServiceAccount and kube-root-ca.crt in $SA_NS" 60 "$DIR/kube-controller-manager.log" sa_ready "$SA_NS"
  else
    # Pods are refused until their namespace's default ServiceAccount has its token secret.
    sa_ready() { api GET /api/v1/namespaces/default/serviceaccounts/default | jq -e '.secrets | length > 0'; }
    node_wait "no default ServiceAccount token" 60 "$DIR/kube-controller-manager.log" sa_ready
    sa_ready_in() { api GET "/api/v1/namespaces/$SA_NS/serviceaccounts/$1" | jq -e '.secrets | length > 0'; }
    node_wait "no token secret for $SA_NS/reader" 60 "$DIR/kube-controller-manager.log" sa_ready_in reader
  fi
  log "node $NODE_NAME Ready, its service accounts' tokens made ($((SECONDS - t0)) s)"
}
