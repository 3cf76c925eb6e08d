// Which pods of a node `skiff drain` evicts, as kubectl's drain helper decides (k8s.io/kubectl
// pkg/drain filters.go): skip pods long since deleted, DaemonSet and mirror pods; refuse (unless
// told) pods with emptyDir data and pods no controller would recreate. Same messages as kubectl.

/** The few pod fields the filters read. */
export interface DrainPod {
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec?: { volumes?: { emptyDir?: unknown }[] };
  status?: { phase?: string };
}

export interface FilterOptions {
  force: boolean;
  ignoreAllDaemonSets: boolean;
  deleteEmptyDirData: boolean;
  /** pods deleted more than this many seconds ago are skipped (0: never) */
  skipWaitForDeleteTimeoutSeconds: number;
}

type Reason = 'Okay' | 'Skip' | 'Warning' | 'Error';
interface Status {
  delete: boolean;
  reason: Reason;
  message: string;
}

export const DAEMON_SET_FATAL = 'DaemonSet-managed Pods (use --ignore-daemonsets to ignore)';
export const DAEMON_SET_WARNING = 'ignoring DaemonSet-managed Pods';
export const LOCAL_STORAGE_FATAL = 'Pods with local storage (use --delete-emptydir-data to override)';
export const LOCAL_STORAGE_WARNING = 'deleting Pods with local storage';
export const UNMANAGED_FATAL = 'cannot delete Pods that declare no controller (use --force to override)';
export const UNMANAGED_WARNING = 'deleting Pods that declare no controller';
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

const okay = (): Status => ({ delete: true, reason: 'Okay', message: '' });
const skip = (): Status => ({ delete: false, reason: 'Skip', message: '' });
const warning = (del: boolean, message: string): Status => ({ delete: del, reason: 'Warning', message });
const error = (message: string): Status => ({ delete: false, reason: 'Error', message });

const controllerOf = (p: DrainPod) => p.metadata.ownerReferences?.find((r) => r.controller === true);
const finished = (p: DrainPod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** Deleted more than `seconds` ago (shouldSkipPod). */
export function deletedLongAgo(p: DrainPod, seconds: number, nowMs = Date.now()): boolean {
  const at = p.metadata.deletionTimestamp;
  return seconds > 0 && !!at && nowMs - Date.parse(at) > seconds * 1000;
}

/**
 * Does the DaemonSet exist? `found` when it does, `notFound` when the server said 404; any other
 * failure throws (its message becomes the pod's error, as in kubectl).
 */
export type DaemonSetLookup = (namespace: string, name: string) => Promise<'found' | 'notFound'>;

/** One pod through the filters (in kubectl's order), until one says not to delete it. */
async function filter(p: DrainPod, o: FilterOptions, lookupDaemonSet: DaemonSetLookup, nowMs: number): Promise<Status> {
  const filters: (() => Status | Promise<Status>)[] = [
    () => (deletedLongAgo(p, o.skipWaitForDeleteTimeoutSeconds, nowMs) ? skip() : okay()),
    async () => {
      const ref = controllerOf(p);
      if (!ref || ref.kind !== 'DaemonSet' || finished(p)) return okay();
      let found: 'found' | 'notFound';
      try {
        found = await lookupDaemonSet(p.metadata.namespace, ref.name);
      } catch (e) {
        return error((e as Error).message);
      }
      if (found === 'notFound') {
        const msg = `daemonsets.apps "${ref.name}" not found`;
        return o.force ? warning(true, msg) : error(msg);
      }
      return o.ignoreAllDaemonSets ? warning(false, DAEMON_SET_WARNING) : error(DAEMON_SET_FATAL);
    },
    () => (p.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined ? skip() : okay()),
    () => {
      if (!(p.spec?.volumes ?? []).some((v) => v.emptyDir != null) || finished(p)) return okay();
      return o.deleteEmptyDirData ? warning(true, LOCAL_STORAGE_WARNING) : error(LOCAL_STORAGE_FATAL);
    },
    () => {
      if (finished(p) || controllerOf(p)) return okay();
      return o.force ? warning(true, UNMANAGED_WARNING) : error(UNMANAGED_FATAL);
    },
  ];
  let status = okay();
  for (const f of filters) {
    status = await f();
    if (!status.delete) break;
  }
  return status;
}

export interface PodDeleteList<P extends DrainPod = DrainPod> {
  /** the pods to evict (or delete) */
  pods: P[];
  /** "message: ns/a, ns/b; message: ..." as kubectl's Warnings(), or "" */
  warnings: string;
  /** "cannot delete <message>: ns/a, ns/b", one per message */
  errors: string[];
}

/** GetPodsForDeletion, after the list: which pods go, with kubectl's warnings and errors. */
export async function podsForDeletion<P extends DrainPod>(pods: P[], o: FilterOptions, lookupDaemonSet: DaemonSetLookup, nowMs = Date.now()): Promise<PodDeleteList<P>> {
  const statuses = await Promise.all(pods.map((p) => filter(p, o, lookupDaemonSet, nowMs)));
  const group = (reason: Reason) => {
    const m = new Map<string, string[]>();
    statuses.forEach((s, i) => {
      if (s.reason !== reason) return;
      const msg = s.message || (reason === 'Error' ? 'unexpected error' : '');
      m.set(msg, [...(m.get(msg) ?? []), `${pods[i]!.metadata.namespace}/${pods[i]!.metadata.name}`]);
    });
    return [...m];
  };
  return {
    pods: pods.filter((_, i) => statuses[i]!.delete),
    warnings: group('Warning')
      .map(([msg, names]) => `${msg}: ${names.join(', ')}`)
      .join('; '),
    errors: group('Error').map(([msg, names]) => `cannot delete ${msg}: ${names.join(', ')}`),
  };
}
