// `rollout restart | pause | resume`: kubectl's object restarter, pauser and resumer, as the strategic
// merge patch each change makes (kubectl diffs the changed object against the original; for these
// changes the difference is always the one field below).
import type { ApiResource } from './resources.ts';
import type { Obj } from './rollout-targets.ts';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export type PatchVerb = 'restart' | 'pause' | 'resume';

/** Go's time.Now().Format(time.RFC3339): local time with its offset, `Z` in UTC, whole seconds. */
export function rfc3339(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const off = -d.getTimezoneOffset();
  if (off === 0) return `${base}Z`;
  const a = Math.abs(off);
  return `${base}${off > 0 ? '+' : '-'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

type Kind = Pick<ApiResource, 'group' | 'kind'>;
const isDeployment = (r: Kind) => r.kind === 'Deployment' && (r.group === 'apps' || r.group === 'extensions');
const isDaemonSet = (r: Kind) => r.kind === 'DaemonSet' && (r.group === 'apps' || r.group === 'extensions');
const isStatefulSet = (r: Kind) => r.kind === 'StatefulSet' && r.group === 'apps';

/**
 * The patch for one object, `{}` when nothing changes; throws kubectl's reason when the object cannot
 * be changed so (the caller prefixes `<resource> "<name>"`).
 */
export function patchFor(verb: PatchVerb, r: Kind, o: Obj, now: Date = new Date()): Obj {
  const paused = o.spec?.paused === true;
  switch (verb) {
    case 'restart': {
      if (!isDeployment(r) && !isDaemonSet(r) && !isStatefulSet(r)) throw new Error('restarting is not supported');
      if (isDeployment(r) && paused) throw new Error("can't restart paused deployment (run rollout resume first)");
      const at = rfc3339(now);
      if (o.spec?.template?.metadata?.annotations?.[RESTARTED_AT] === at) return {};
      return { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: at } } } } };
    }
    case 'pause':
      if (!isDeployment(r)) throw new Error('pausing is not supported');
      if (paused) throw new Error('is already paused');
      return { spec: { paused: true } };
    case 'resume':
      if (!isDeployment(r)) throw new Error('resuming is not supported');
      if (!paused) throw new Error('is not paused');
      // paused is omitempty: false is dropped from the changed object, so the two-way patch deletes it
      return { spec: { paused: null } };
  }
}

/** The operation kubectl's name printer shows after a successful patch. */
export const PAST: Record<PatchVerb, string> = { restart: 'restarted', pause: 'paused', resume: 'resumed' };
