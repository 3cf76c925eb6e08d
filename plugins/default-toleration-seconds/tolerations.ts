// Kubernetes' DefaultTolerationSeconds admission: a new pod that does not tolerate the
// node.kubernetes.io/not-ready and node.kubernetes.io/unreachable NoExecute taints gets tolerations
// for them, bounded by tolerationSeconds, so that it is evicted from a failed node after that long.
import type { KObject } from '@skiff/kernel';

export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';

export interface DefaultTolerationSecondsConfig {
  /** --default-not-ready-toleration-seconds */
  notReadyTolerationSeconds: number;
  /** --default-unreachable-toleration-seconds */
  unreachableTolerationSeconds: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Does one of the tolerations already cover the NoExecute taint with this key (an empty key or effect matches any)? */
function tolerates(tolerations: unknown[], key: string): boolean {
  return tolerations.some((t) => isObj(t) && (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
}

/** Add the missing default tolerations to a pod (in place); returns whether it changed. */
export function addDefaultTolerations(pod: KObject, cfg: DefaultTolerationSecondsConfig): boolean {
  if (!isObj(pod.spec)) return false;
  const spec = pod.spec;
  // tolerations that are not a list (0, "x", {}) are validation's 422 to give, not a list to replace
  if (spec.tolerations !== undefined && spec.tolerations !== null && !Array.isArray(spec.tolerations)) return false;
  const existing = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  const added: Obj[] = [];
  if (!tolerates(existing, TAINT_NODE_NOT_READY))
    added.push({ key: TAINT_NODE_NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: cfg.notReadyTolerationSeconds });
  if (!tolerates(existing, TAINT_NODE_UNREACHABLE))
    added.push({ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: cfg.unreachableTolerationSeconds });
  if (!added.length) return false;
  spec.tolerations = [...existing, ...added];
  return true;
}
