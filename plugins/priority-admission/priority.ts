// Kubernetes' Priority admission plugin: a new pod gets spec.priority and spec.preemptionPolicy from
// its PriorityClass (or the global default class, or priority 0); a pod that names an unknown class
// or sets a priority its class does not give is forbidden; an update keeps the priority the pod was
// created with. PriorityClass writes are checked so that only one class is the global default.
import { PRIORITY_CLASSES, type PriorityClass } from '@skiff/api';
import type { Lister } from '@skiff/client';
import { StatusError, type AdmissionRequest, type Kernel, type KObject } from '@skiff/kernel';

/** Priority of pods when no class is the global default (scheduling.DefaultPriorityWhenNoDefaultClassExists). */
export const DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS = 0;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSet = (v: unknown) => v !== undefined && v !== null;

/** admission.NewForbidden: `<resource> "<name>" is forbidden: <why>`, 403. */
export function forbidden(req: AdmissionRequest, why: string): StatusError {
  const { group, resource } = req.kind;
  const name = req.object.metadata?.name ?? '';
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `${group ? `${resource}.${group}` : resource} "${name}" is forbidden: ${why}`,
    reason: 'Forbidden',
    details: { name, group, kind: resource },
    code: 403,
  });
}

/** The global default class; with several (a race), the one with the lowest value, as kube picks. */
export function defaultClass(classes: PriorityClass[]): PriorityClass | undefined {
  let best: PriorityClass | undefined;
  for (const pc of classes) if (pc.globalDefault === true && (!best || best.value > pc.value)) best = pc;
  return best;
}

export class PriorityAdmission {
  constructor(
    private readonly kernel: Kernel,
    /** PriorityClasses as an informer sees them */
    private readonly classes: Lister<PriorityClass>,
  ) {}

  /** A class by name: the informer's copy, else the store's (a class created a moment ago). */
  private async lookup(name: string): Promise<PriorityClass | undefined> {
    const cached = this.classes.get(undefined, name);
    if (cached) return cached;
    try {
      return (await this.kernel.get(PRIORITY_CLASSES, undefined, name)) as PriorityClass;
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return undefined;
      throw e;
    }
  }

  /** Mutating, pods (no subresource), CREATE and UPDATE. */
  async admitPod(req: AdmissionRequest): Promise<KObject | void> {
    const pod = req.object;
    if (!isObj(pod.spec)) return;
    const spec = pod.spec;
    if (req.operation === 'UPDATE') {
      // the priority was set at creation; an update that leaves it out keeps it (validation forbids changing it)
      const old = req.oldObject && isObj(req.oldObject.spec) ? req.oldObject.spec : {};
      if (!isSet(spec.priority) && isSet(old.priority)) spec.priority = old.priority;
      if (!isSet(spec.preemptionPolicy) && isSet(old.preemptionPolicy)) spec.preemptionPolicy = old.preemptionPolicy;
      return pod;
    }
    if (req.operation !== 'CREATE') return;
    let priority: number;
    let policy: string | undefined;
    const name = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
    if (!name) {
      const d = defaultClass(this.classes.list());
      if (d) {
        spec.priorityClassName = d.metadata.name;
        priority = d.value;
        policy = d.preemptionPolicy;
      } else {
        priority = DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS;
        policy = 'PreemptLowerPriority';
      }
    } else {
      const pc = await this.lookup(name);
      if (!pc) throw forbidden(req, `no PriorityClass with name ${name} was found`);
      priority = pc.value;
      policy = pc.preemptionPolicy;
    }
    if (isSet(spec.priority) && spec.priority !== priority) {
      throw forbidden(req, `the integer value of priority (${String(spec.priority)}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
    }
    spec.priority = priority;
    if (policy) {
      if (isSet(spec.preemptionPolicy) && spec.preemptionPolicy !== policy) {
        throw forbidden(req, `the string value of PreemptionPolicy (${String(spec.preemptionPolicy)}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
      }
      spec.preemptionPolicy = policy;
    }
    return pod;
  }

  /** Validating, priorityclasses (no subresource), CREATE and UPDATE: one global default at most. */
  async validateClass(req: AdmissionRequest): Promise<void> {
    const pc = req.object as PriorityClass;
    if (pc.globalDefault !== true) return;
    // read the store, not the informer: two defaults must not slip in one after the other
    const { items } = await this.kernel.list(PRIORITY_CLASSES);
    const d = defaultClass(items as PriorityClass[]);
    if (d && (req.operation === 'CREATE' || d.metadata.name !== pc.metadata.name)) {
      throw forbidden(req, `PriorityClass ${d.metadata.name} is already marked as default. Only one default can exist`);
    }
  }
}
