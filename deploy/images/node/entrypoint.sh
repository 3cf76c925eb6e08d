#!/bin/sh
# Entrypoint of the Skiff node image (skiff.local/node:dev): prepares the container for a nested
# containerd, starts it, imports the baked images into its k8s.io namespace, then execs the command
# (default `sleep infinity`; e2e tests run `node /skiff/skiff.mjs agent ...`).
#
# Needs `docker run --privileged`, or where that fails (a host without CAP_SYS_RESOURCE):
#   --cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined
#   --security-opt apparmor=unconfined --security-opt systempaths=unconfined
#   --device-cgroup-rule 'a *:* rwm' [--cgroupns private]
# /var/lib/containerd is a VOLUME of the image: overlayfs cannot use an overlayfs upper dir, so on
# the container's own root filesystem containerd falls back to the (slow, copying) native snapshotter.
#
# Runs under dash (the image's /bin/sh); the small tools (awk, sed, stat, date) are busybox applets.
# Environment: SKIFF_IPTABLES=nft|legacy (default: as the image was built, nft on Debian 12),
# SKIFF_CONTAINERD_TIMEOUT (seconds to wait for containerd's socket, default 30).
set -eu

log() { echo "skiff-node: $*" >&2; }
die() { log "$*"; exit 1; }

CONFIG=/etc/containerd/config.toml
SOCKET=/run/containerd/containerd.sock

# --- /sys and cgroups writable (privileged gives rw; --cap-add ALL leaves them read-only) ---
if grep -q ' /sys sysfs ro[ ,]' /proc/mounts; then mount -o remount,rw /sys || log "warning: /sys stays read-only"; fi
if [ ! -d /sys/fs/cgroup ] || ! grep -q ' /sys/fs/cgroup' /proc/mounts; then
  # nothing mounted: cgroup v2 if the kernel has it unified, else every v1 controller on its own
  mkdir -p /sys/fs/cgroup
  if ! mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null; then
    mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
    for c in $(awk 'NR > 1 && $4 == 1 { print $1 }' /proc/cgroups); do
      mkdir -p "/sys/fs/cgroup/$c" && mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c" || log "warning: cannot mount cgroup $c"
    done
  fi
fi
grep -E ' /sys/fs/cgroup[^ ]* cgroup2? ro[ ,]' /proc/mounts | while read -r _ mp _; do
  mount -o remount,bind,rw "$mp" "$mp" || log "warning: $mp stays read-only"
done

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  # cgroup v2 (untested here: these hosts are v1): move our processes out of the root cgroup so
  # controllers can be enabled for the nested containers (as kind does)
  mkdir -p /sys/fs/cgroup/init
  while read -r p; do echo "$p" > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true; done < /sys/fs/cgroup/cgroup.procs
  for c in $(cat /sys/fs/cgroup/cgroup.controllers); do echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control || true; done
else
  # cgroup v1 with the host's cgroup namespace: /proc/self/cgroup names /docker/<id>/..., while the
  # mounts show only that subtree; bind each controller at that path too so both views resolve (as kind does)
  grep -E '^[0-9]+:[^:]+:/.+' /proc/self/cgroup | while IFS=: read -r _ ctrls path; do
    ctrl=${ctrls#name=}
    mp=/sys/fs/cgroup/$ctrl
    [ -d "$mp" ] || mp=$(grep -E " /sys/fs/cgroup/[^ ]*$ctrl[^ ]* cgroup " /proc/mounts | awk '{ print $2; exit }')
    [ -n "$mp" ] && [ -d "$mp" ] && [ ! -d "$mp$path" ] || continue
    mkdir -p "$mp$path" && mount --bind "$mp" "$mp$path" || log "warning: cannot bind $mp at $mp$path"
  done
fi

# --- mounts made inside pods must be able to propagate (CRI Bidirectional mounts) ---
mount --make-rshared / || log "warning: cannot make / rshared"

# --- snapshotter: overlayfs needs /var/lib/containerd off overlayfs (the image's VOLUME) ---
SNAPSHOTTER=overlayfs
if [ "$(stat -f -c %t /var/lib/containerd)" = 794c7630 ]; then
  log "warning: /var/lib/containerd is on overlayfs (no volume mounted there?): using the native snapshotter"
  SNAPSHOTTER=native
  sed -i 's/^\( *snapshotter = \)"overlayfs"/\1"native"/' "$CONFIG"
fi
export CONTAINERD_SNAPSHOTTER=$SNAPSHOTTER

# --- iptables backend ---
case "${SKIFF_IPTABLES:-}" in
  '') ;;
  nft|legacy)
    for t in iptables ip6tables; do
      for s in '' -save -restore; do ln -sf "/usr/sbin/$t-$SKIFF_IPTABLES$s" "/etc/alternatives/$t$s"; done
    done ;;
  *) die "SKIFF_IPTABLES must be nft or legacy, not $SKIFF_IPTABLES" ;;
esac

# --- forwarding for pod traffic (best effort: the network namespace is the container's own) ---
echo 1 > /proc/sys/net/ipv4/ip_forward 2>/dev/null || log "warning: cannot enable net.ipv4.ip_forward"
mkdir -p /run/containerd /var/log /etc/cni/net.d /tmp

# --- containerd ---
containerd --config "$CONFIG" >/var/log/containerd.log 2>&1 &
CONTAINERD_PID=$!
deadline=$(( $(date +%s) + ${SKIFF_CONTAINERD_TIMEOUT:-30} ))
until ctr --address "$SOCKET" --timeout 2s version >/dev/null 2>&1; do
  kill -0 "$CONTAINERD_PID" 2>/dev/null || { tail -n 30 /var/log/containerd.log >&2; die "containerd exited"; }
  [ "$(date +%s)" -lt "$deadline" ] || { tail -n 30 /var/log/containerd.log >&2; die "containerd's socket did not answer in time"; }
  sleep 0.1
done
log "containerd $CONTAINERD_PID up (snapshotter $SNAPSHOTTER, log /var/log/containerd.log)"

for t in /opt/skiff/images/*.tar /opt/skiff/images/extra/*.tar; do
  [ -f "$t" ] || continue
  ctr --address "$SOCKET" -n k8s.io images import "$t" >/dev/null || die "ctr images import $t failed"
  log "imported $t"
done

exec "$@"
