// The pods/eviction subresource (policy/v1 Eviction), as kube-apiserver's eviction REST: a pod is
// deleted only if the PodDisruptionBudget that selects it allows one more disruption, and that
// budget is decremented (status.disruptionsAllowed, status.disruptedPods) in one compare-and-set
// write of its status before the pod goes. Written against the Kernel interface, so every front end
// (REST, gRPC, the bus) evicts the same way.
import { now } from './object-lifecycle.ts';
import { errors, StatusError, type Status } from './status.ts';
import type { DeleteOptions, Kernel, KObject, ResourceRef } from './types.ts';

const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };
const PDBS: ResourceRef = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' };
const EVICTION_VERSIONS = ['policy/v1', 'policy/v1beta1'];
/** More unconfirmed evictions than this in a budget's disruptedPods: the budget's controller is behind. */
export const MAX_DISRUPTED_POD_SIZE = 2000;
/** How often the eviction retries when the pod changed under it (kube: EvictionsRetry). */
const EVICTION_ATTEMPTS = 20;
/** How often the budget write retries on a conflict (kube: EvictionsRetry too). */
const BUDGET_ATTEMPTS = 20;
export const VIOLATES_BUDGET = "Cannot evict pod as it would violate the pod's disruption budget.";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const isConflict = (e: unknown) => e instanceof StatusError && e.code === 409;

export interface EvictOptions {
  /** dryRun of the request (the query); must agree with the Eviction's deleteOptions.dryRun */
  dryRun?: boolean;
}

/** 429 with a DisruptionBudget cause, as kube answers a blocked eviction. */
function tooManyRequests(message: string, retryAfterSeconds = 0): StatusError {
  const e = errors.tooManyRequests(VIOLATES_BUDGET, retryAfterSeconds);
  e.status.details = { ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}), causes: [{ reason: 'DisruptionBudget', message }] };
  return e;
}

/** The budget is being recomputed (or the pod changed): come back in 10 s (kube: createTooManyRequestsError). */
const stillProcessing = (name: string) => tooManyRequests(`The disruption budget ${name} is still being processed by the server.`, 10);

/** 403 about a budget, worded as apierrors.NewForbidden. */
const budgetForbidden = (name: string, why: string) => errors.forbidden(`poddisruptionbudget.policy "${name}" is forbidden: ${why}`);

/** The Eviction's deleteOptions with the request's dryRun merged in (kube: propagateDryRun). */
function deleteOptionsOf(eviction: Obj, requestDryRun: boolean): DeleteOptions {
  const raw = isObj(eviction.deleteOptions) ? eviction.deleteOptions : undefined;
  const bodyDry = raw && Array.isArray(raw.dryRun) ? (raw.dryRun as unknown[]) : [];
  if (requestDryRun && bodyDry.length > 0 && !(bodyDry.length === 1 && bodyDry[0] === 'All')) {
    throw errors.internal(`Non-matching dry-run options in request and content: [All] and [${bodyDry.join(' ')}]`);
  }
  const out: DeleteOptions = { dryRun: requestDryRun || bodyDry.includes('All') };
  if (!raw) return out;
  if (typeof raw.gracePeriodSeconds === 'number') out.gracePeriodSeconds = raw.gracePeriodSeconds;
  const policy = raw.propagationPolicy ?? (raw.orphanDependents === true ? 'Orphan' : undefined);
  if (policy !== undefined) {
    if (policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') throw errors.badRequest(`unsupported propagationPolicy "${String(policy)}": must be Orphan, Background or Foreground`);
    out.propagationPolicy = policy;
  }
  if (isObj(raw.preconditions)) {
    const p = raw.preconditions;
    out.preconditions = { ...(typeof p.uid === 'string' ? { uid: p.uid } : {}), ...(typeof p.resourceVersion === 'string' ? { resourceVersion: p.resourceVersion } : {}) };
  }
  return out;
}

const phaseOf = (pod: KObject) => (isObj(pod.status) ? pod.status.phase : undefined);
const isPodReady = (pod: KObject) =>
  isObj(pod.status) && Array.isArray(pod.status.conditions) && pod.status.conditions.some((c) => isObj(c) && c.type === 'Ready' && c.status === 'True');
/** Terminal, pending or already being deleted: evicting it disrupts nothing a budget counts. */
const canIgnoreBudget = (pod: KObject) => ['Succeeded', 'Failed', 'Pending'].includes(phaseOf(pod) as string) || !!pod.metadata.deletionTimestamp;
/** Not terminal and not being deleted: delete only the version whose readiness was judged. */
const shouldEnforceResourceVersion = (pod: KObject) => !['Succeeded', 'Failed'].includes(phaseOf(pod) as string) && !pod.metadata.deletionTimestamp;

function withResourceVersion(opts: DeleteOptions, rv: string | undefined): DeleteOptions {
  return { ...opts, preconditions: { ...(opts.preconditions ?? {}), resourceVersion: rv } };
}

/** Does a budget's selector select the pod? A missing or empty selector selects nothing here. */
function selects(pdb: KObject, pod: KObject): boolean {
  const sel = isObj(pdb.spec) ? pdb.spec.selector : undefined;
  if (!isObj(sel)) return false;
  const ml = isObj(sel.matchLabels) ? sel.matchLabels : {};
  const exprs = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  if (Object.keys(ml).length === 0 && exprs.length === 0) return false;
  const labels: Obj = pod.metadata.labels ?? {};
  for (const [k, v] of Object.entries(ml)) if (labels[k] !== v) return false;
  for (const e of exprs) {
    if (!isObj(e) || typeof e.key !== 'string') return false;
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = Array.isArray(e.values) ? e.values : [];
    const ok =
      e.operator === 'In' ? has && values.includes(labels[e.key]) : e.operator === 'NotIn' ? !has || !values.includes(labels[e.key]) : e.operator === 'Exists' ? has : e.operator === 'DoesNotExist' ? !has : false;
    if (!ok) return false;
  }
  return true;
}

/** The DisruptionAllowed condition (meta.SetStatusCondition: the transition time moves only when the status does). */
function setDisruptionAllowed(status: Obj): void {
  const allowed = (status.disruptionsAllowed as number) > 0;
  const cond = { type: 'DisruptionAllowed', status: allowed ? 'True' : 'False', reason: allowed ? 'SufficientPods' : 'InsufficientPods', message: '', observedGeneration: status.observedGeneration ?? 0 };
  const list = Array.isArray(status.conditions) ? [...status.conditions] : [];
  const i = list.findIndex((c) => isObj(c) && c.type === 'DisruptionAllowed');
  const old = i >= 0 ? (list[i] as Obj) : undefined;
  const lastTransitionTime = old && old.status === cond.status && old.lastTransitionTime ? old.lastTransitionTime : now();
  const next = { ...(old ?? {}), ...cond, lastTransitionTime };
  if (i >= 0) list[i] = next;
  else list.push(next);
  status.conditions = list;
}

/**
 * checkAndDecrement: refuse when the budget is stale or exhausted; otherwise take one disruption and
 * record the pod in disruptedPods in one write of the budget's status (at its resourceVersion).
 */
async function checkAndDecrement(kernel: Kernel, podName: string, pdb: KObject, dryRun: boolean): Promise<void> {
  const name = pdb.metadata.name!;
  const status: Obj = isObj(pdb.status) ? { ...pdb.status } : {};
  const num = (f: string) => (typeof status[f] === 'number' ? (status[f] as number) : 0);
  if (num('observedGeneration') < (pdb.metadata.generation ?? 0)) throw stillProcessing(name);
  if (num('disruptionsAllowed') < 0) throw budgetForbidden(name, 'pdb disruptions allowed is negative');
  const disrupted = isObj(status.disruptedPods) ? status.disruptedPods : {};
  if (Object.keys(disrupted).length > MAX_DISRUPTED_POD_SIZE) throw budgetForbidden(name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  if (num('disruptionsAllowed') === 0) throw tooManyRequests(`The disruption budget ${name} needs ${num('desiredHealthy')} healthy pods and has ${num('currentHealthy')} currently`);
  status.disruptionsAllowed = num('disruptionsAllowed') - 1;
  if (status.disruptionsAllowed === 0) setDisruptionAllowed(status);
  if (dryRun) return;
  status.disruptedPods = { ...disrupted, [podName]: now() };
  await kernel.update(PDBS, { ...pdb, status }, { subresource: 'status' });
}

/**
 * POST pods/{name}/eviction. Answers a Success Status (code 201) once the pod is deleted (or marked
 * for deletion); throws a StatusError otherwise: 429 when a budget forbids it, 500 when more than one
 * budget selects the pod, 404 for a missing pod, 400 for an Eviction that names another pod.
 */
export async function evictPod(kernel: Kernel, namespace: string, name: string, eviction: unknown, opts: EvictOptions = {}): Promise<Status> {
  if (!isObj(eviction)) throw errors.badRequest('the request body must be an Eviction object');
  if (eviction.apiVersion !== undefined && !EVICTION_VERSIONS.includes(eviction.apiVersion as string))
    throw errors.badRequest(`the API version in the data (${String(eviction.apiVersion)}) does not match the expected API version (policy/v1)`);
  if (eviction.kind !== undefined && eviction.kind !== 'Eviction') throw errors.badRequest(`the kind in the data (${String(eviction.kind)}) does not match the expected kind (Eviction)`);
  const meta = isObj(eviction.metadata) ? eviction.metadata : {};
  if (meta.name !== name) throw errors.badRequest('name in URL does not match name in Eviction object');
  if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace)
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  const original = deleteOptionsOf(eviction, opts.dryRun === true);
  const callerRV = original.preconditions?.resourceVersion;
  const success = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', message: '', reason: '', code: 201 } as unknown as Status;

  // a pod whose eviction disrupts nothing is deleted at once (retried when it changes under us)
  let pod!: KObject;
  for (let attempt = 1; ; attempt++) {
    pod = await kernel.get(PODS, namespace, name);
    if (!canIgnoreBudget(pod)) break;
    const del = shouldEnforceResourceVersion(pod) && !callerRV ? withResourceVersion(original, pod.metadata.resourceVersion) : original;
    try {
      await kernel.delete(PODS, namespace, name, del);
      return success;
    } catch (e) {
      if (!isConflict(e) || callerRV || attempt >= EVICTION_ATTEMPTS) throw e;
      await sleep(20);
    }
  }

  const { items } = await kernel.list(PDBS, { namespace });
  const pdbs = items.filter((p) => selects(p, pod));
  if (pdbs.length > 1) {
    throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', reason: '', code: 500 });
  }
  let enforceRV = false;
  const pdb = pdbs[0];
  if (pdb) {
    const spec = isObj(pdb.spec) ? pdb.spec : {};
    const st = isObj(pdb.status) ? pdb.status : {};
    const healthy = typeof st.currentHealthy === 'number' ? st.currentHealthy : 0;
    const desired = typeof st.desiredHealthy === 'number' ? st.desiredHealthy : 0;
    // an unready pod does not count as healthy: evicting it takes nothing from the budget when
    // the budget says so (AlwaysAllow) or is met anyway (IfHealthyBudget, the default)
    if (!isPodReady(pod) && (spec.unhealthyPodEvictionPolicy === 'AlwaysAllow' || (healthy >= desired && desired > 0))) enforceRV = true;
    else {
      let current = pdb;
      for (let attempt = 1; ; attempt++) {
        try {
          await checkAndDecrement(kernel, name, current, original.dryRun === true);
          break;
        } catch (e) {
          if (!isConflict(e) || attempt >= BUDGET_ATTEMPTS) throw e;
          current = await kernel.get(PDBS, namespace, pdb.metadata.name!);
        }
      }
    }
  }
  // an unready pod is deleted only as judged: if it became ready meanwhile, the caller retries
  const del = enforceRV ? withResourceVersion(original, pod.metadata.resourceVersion) : original;
  try {
    await kernel.delete(PODS, namespace, name, del);
  } catch (e) {
    if (isConflict(e) && enforceRV && !callerRV) throw stillProcessing(pdb!.metadata.name!);
    throw e;
  }
  return success;
}
