#!/usr/bin/env bash
# Makes this Debian machine able to run what a Skiff node and the tests need: installs the missing
# Debian packages of the parts asked for (one apt-get install; apt-get update only when that fails)
# and starts the services that do not answer. Shared by `skiff up` (bin/skiff), the vitest
# globalSetup (scripts/test-global-setup.ts) and CI (.ci/run).
#
#   ensure-node-deps.sh [--log-dir DIR] [--check] PART...
#
#   nats        nats-server (/usr/sbin/nats-server)
#   cni         containernetworking-plugins (/usr/lib/cni), iptables, nftables, iproute2
#   containerd  containerd and runc (and cni); starts containerd with deploy/containerd/config.toml
#               when /run/containerd/containerd.sock does not answer
#   docker      docker.io; starts dockerd (on containerd's socket when that answers) when
#               `docker info` fails
#   registry    docker-registry (/usr/bin/docker-registry; the tests run their own instance)
#   images      gcc and libc6-dev (deploy/images compiles the pause image static), file
#   dnsperf     dnsperf (the DNS load generator of `npm run bench -- dns`)
#   h2load      nghttp2-client's h2load (a C HTTP/2 load generator: `npm run bench -- api --grpc`
#               measures the gRPC API's create throughput with it beside the grpc-js client)
#   python-grpc python3-grpcio and python3-grpc-tools (the Python client of the gRPC API test,
#               integration/grpc-api.test.ts; run with /usr/bin/python3)
#   storage     xfsprogs (mkfs.xfs, xfs_growfs): the host-path CSI driver's volumes are xfs on loop
#               devices, since xfs grows online with CAP_SYS_ADMIN (ext4's online resize needs
#               CAP_SYS_RESOURCE, which node containers lack)
#
# Services it starts run detached (setsid) and stay running, logging to DIR/<name>.log (default
# /tmp/skiff); each gets SKIFF_DEPS_START_TIMEOUT seconds (default 90) to answer. Silent, with no
# apt-get call, when everything is there. --check (and any run as non-root) installs and starts
# nothing, only says what is missing. Exit status: 0 when every part asked for is there and
# answering; 1 otherwise, with the reason (and log path) on stderr.
set -uo pipefail
repo="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log_dir=/tmp/skiff
check=0
parts=()
while [ $# -gt 0 ]; do
  case "$1" in
  --log-dir) log_dir="$2"; shift 2 ;;
  --check) check=1; shift ;;
  nats | cni | containerd | docker | registry | images | dnsperf | h2load | python-grpc | storage) parts+=("$1"); shift ;;
  *) echo "usage: ensure-node-deps.sh [--log-dir DIR] [--check] nats|cni|containerd|docker|registry|images|dnsperf|h2load|python-grpc|storage..." >&2; exit 2 ;;
  esac
done
wants() { [[ " ${parts[*]:-} " == *" $1 "* ]]; }
wants containerd && parts+=(cni)

say() { echo "skiff deps: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
has() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
root=0
[ "$(id -u)" = 0 ] && root=1
[ "$root" = 1 ] || check=1

# one run at a time: two test runs starting containerd together would fight over its state
if [ "$check" = 0 ]; then
  exec 9>/run/skiff-ensure-node-deps.lock && flock -w 900 9 || fail "could not lock /run/skiff-ensure-node-deps.lock"
fi
mkdir -p "$log_dir"

# --- packages --------------------------------------------------------------------------------
# each package is checked by what the parts use of it, not by dpkg: a Docker engine installed
# another way (docker-ce) must not make us install docker.io over it
static_libc() { local f; f="$(gcc -print-file-name=libc.a 2>/dev/null)" && [ "${f#/}" != "$f" ] && [ -e "$f" ]; }
missing=()
need() { local pkg="$1"; shift; "$@" || missing+=("$pkg"); }
if wants nats; then need nats-server test -x /usr/sbin/nats-server; fi
if wants cni; then
  need containernetworking-plugins eval '[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/portmap ] && [ -x /usr/lib/cni/loopback ] && [ -x /usr/lib/cni/firewall ]'
  need iptables eval 'has iptables && has iptables-save'
  need nftables has nft
  need iproute2 has ip
fi
if wants containerd; then
  need containerd eval 'has containerd && has ctr && has containerd-shim-runc-v2'
  need runc has runc
fi
if wants docker; then need docker.io eval 'has dockerd && has docker'; fi
if wants registry; then need docker-registry test -x /usr/bin/docker-registry; fi
if wants dnsperf; then need dnsperf has dnsperf; fi
if wants h2load; then need nghttp2-client has h2load; fi
if wants storage; then need xfsprogs eval 'has mkfs.xfs && has xfs_growfs'; fi
if wants python-grpc; then
  need python3-grpcio /usr/bin/python3 -c 'import grpc' 2>/dev/null
  need python3-grpc-tools /usr/bin/python3 -c 'import grpc_tools.protoc' 2>/dev/null
fi
if wants images; then
  need gcc has gcc
  need libc6-dev static_libc
  need file has file
fi

if [ "${#missing[@]}" -gt 0 ]; then
  [ "$check" = 1 ] && fail "missing Debian packages: ${missing[*]} (as root: apt-get install ${missing[*]})"
  command -v apt-get >/dev/null 2>&1 || fail "missing ${missing[*]}, and there is no apt-get to install them"
  apt=(apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  log="$log_dir/apt.log"
  say "installing ${missing[*]} (apt-get; log: $log)"
  # (fd 9 closed for apt too: a package's postinst may start a daemon, which must not keep our lock)
  export DEBIAN_FRONTEND=noninteractive
  apt_install() { timeout 15m "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1 </dev/null 9>&-; }
  if ! apt_install && ! { timeout 10m "${apt[@]}" update -qq >>"$log" 2>&1 </dev/null 9>&- && apt_install; }; then
    tail -5 "$log" >&2
    fail "apt-get could not install ${missing[*]} (log: $log)"
  fi
fi

# --- services --------------------------------------------------------------------------------
SOCK=/run/containerd/containerd.sock
ctr_up() { timeout 10 ctr --address "$SOCK" --connect-timeout 2s --timeout 5s version >/dev/null 2>&1; }
docker_up() { timeout 15 docker info >/dev/null 2>&1; }

# start <name> <up-probe> <command...>: starts the command detached (its own session, no fds of
# ours: the lock on fd 9 and the caller's pipes must not live on in it) unless the probe answers,
# then waits for the probe with a deadline; fails early, with the log's tail, if the process exits
start() {
  local name="$1" probe="$2"; shift 2
  "$probe" && return 0
  [ "$check" = 1 ] && fail "$name is not running (as root, scripts/ensure-node-deps.sh starts it)"
  local log="$log_dir/$name.log"
  say "starting $name (log: $log)"
  echo "--- $(date -Is) $*" >>"$log"
  setsid nohup "$@" >>"$log" 2>&1 </dev/null 9>&- &
  local pid=$! wait_s="${SKIFF_DEPS_START_TIMEOUT:-90}"
  local deadline=$((SECONDS + wait_s))
  until "$probe"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -5 "$log" >&2
      fail "$name exited at start (log: $log)"
    fi
    [ "$SECONDS" -ge "$deadline" ] && fail "$name did not answer within ${wait_s}s (log: $log)"
    sleep 0.5
  done
  say "$name is up"
}

if wants containerd; then
  start containerd ctr_up containerd --config "$repo/deploy/containerd/config.toml"
fi
if wants docker; then
  args=()
  ctr_up && args+=(--containerd="$SOCK")
  start dockerd docker_up dockerd "${args[@]}"
fi
exit 0
