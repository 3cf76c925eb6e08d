// The labels and annotations the kubelet puts on CRI sandboxes and containers (the names
// Kubernetes' own kubelet uses, so crictl and other tools read them the same way), and where it
// puts the containers' logs. They are a contract among the node's plugins: the kubelet finds the
// pods it runs by them after a restart, the log / exec streams (node-streams) and the usage reports
// (kubelet-metrics) find a pod's containers and their logs by them.

export const POD_NAME = 'io.kubernetes.pod.name';
export const POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const POD_UID = 'io.kubernetes.pod.uid';
export const CONTAINER_NAME = 'io.kubernetes.container.name';
/** on every sandbox and container the Skiff agent creates: which node agent owns it */
export const MANAGED_BY = 'skiff.io/managed-by';
export const MANAGED_BY_VALUE = 'skiff-agent';

/**
 * The MANAGED_BY value of one node's agent: an agent adopts, and kills as orphans, only what its
 * own node made, so agents (or tests) sharing one containerd leave each other's pods alone.
 */
export const managedByNode = (nodeName: string) => `${MANAGED_BY_VALUE}.${nodeName}`;

// annotations on containers: what the kubelet needs back after a restart
export const CONTAINER_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const CONTAINER_HASH = 'io.kubernetes.container.hash';
export const CONTAINER_TERMINATION_GRACE = 'io.kubernetes.pod.terminationGracePeriod';
/** "init" for init containers, "app" for the others */
export const CONTAINER_KIND = 'skiff.io/container-kind';

/** The root of the pods' log directories: <root>/<namespace>_<name>_<uid>/<container>/<attempt>.log */
export const DEFAULT_POD_LOG_ROOT = '/var/log/pods';

export function podLogDirectory(root: string, namespace: string, name: string, uid: string): string {
  return `${root}/${namespace}_${name}_${uid}`;
}

/** Relative to the sandbox's log directory, as CRI's ContainerConfig.log_path is. */
export function containerLogPath(container: string, attempt: number): string {
  return `${container}/${attempt}.log`;
}
