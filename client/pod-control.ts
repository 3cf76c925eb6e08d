// Creating and deleting a controller's pods, as kube's RealPodControl (shared by the ReplicaSet,
// ReplicationController and DaemonSet controllers): a pod from the template (labels, annotations,
// finalizers, spec; generateName "<owner>-"; the controller reference), and the Events kube records
// on the owner: SuccessfulCreate "Created pod: x" / FailedCreate "Error creating: ...",
// SuccessfulDelete "Deleted pod: x" / FailedDelete "Error deleting: ..." (none for a create refused
// because the namespace is terminating, nor for a delete of a pod already gone).
import { isAlreadyExists, isNotFound, nameIsDNSSubdomain, PODS, type OwnerReference, type Pod, type PodTemplateSpec } from '@skiff/api';
import type { DeleteOptions, Kernel, KObject } from '@skiff/kernel';
import type { EventRecorder } from './event-recorder.ts';

/** generateName "<name>-", or the bare name when the dash would make it invalid (getPodsPrefix). */
export function podsPrefix(ownerName: string): string {
  const prefix = `${ownerName}-`;
  return nameIsDNSSubdomain(prefix, true).length ? ownerName : prefix;
}

/**
 * The pod a controller creates from its template (GetPodFromTemplate). The spec is the template's
 * own object, not a copy: the kernel copies what it is given to create, and nothing here changes it.
 */
export function podFromTemplate(template: PodTemplateSpec, owner: KObject, controllerRef: OwnerReference, prefix = podsPrefix(owner.metadata.name!)): Pod {
  const meta = template.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: prefix,
      namespace: owner.metadata.namespace,
      ownerReferences: [controllerRef],
    },
    spec: template.spec,
  };
  if (meta.labels) pod.metadata.labels = { ...meta.labels };
  if (meta.annotations) pod.metadata.annotations = { ...meta.annotations };
  if (meta.finalizers?.length) pod.metadata.finalizers = [...meta.finalizers];
  return pod;
}

/** The kube-apiserver retries a generateName create whose name is taken (RetryGenerateName); so does this, as the kernel does not. */
const GENERATE_NAME_ATTEMPTS = 8;

/**
 * A create refused because the namespace is being deleted (the NamespaceTerminating cause: a
 * StatusCause's type, written "reason" in JSON): kube's controllers ignore it quietly.
 */
export function isNamespaceTerminating(e: unknown): boolean {
  const status = (e as { status?: { details?: { causes?: { reason?: string; type?: string }[] }; message?: string } })?.status;
  if (status?.details?.causes?.some((c) => c.reason === 'NamespaceTerminating' || c.type === 'NamespaceTerminating')) return true;
  return /because it is being terminated/.test(status?.message ?? (e instanceof Error ? e.message : ''));
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class PodControl {
  constructor(
    private readonly kernel: Kernel,
    private readonly recorder: EventRecorder,
  ) {}

  /** Create one pod for `owner` from its template (CreatePods); see create. */
  createPod(owner: KObject, template: PodTemplateSpec, controllerRef: OwnerReference, prefix?: string): Promise<Pod> {
    return this.create(owner, podFromTemplate(template, owner, controllerRef, prefix));
  }

  /** Create `pod` for `owner`; records SuccessfulCreate or FailedCreate; throws on failure. */
  async create(owner: KObject, pod: Pod): Promise<Pod> {
    if (!pod.metadata.labels || Object.keys(pod.metadata.labels).length === 0) throw new Error('unable to create pods, no labels');
    for (let attempt = 1; ; attempt++) {
      try {
        const created = (await this.kernel.create(PODS, pod)) as Pod;
        this.recorder.record(owner, { type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${created.metadata.name}` });
        return created;
      } catch (e) {
        if (isAlreadyExists(e) && pod.metadata.generateName && !pod.metadata.name && attempt < GENERATE_NAME_ATTEMPTS) continue;
        if (!isNamespaceTerminating(e)) this.recorder.record(owner, { type: 'Warning', reason: 'FailedCreate', message: `Error creating: ${message(e)}` });
        throw e;
      }
    }
  }

  /** Delete a pod of `owner`; records SuccessfulDelete or FailedDelete; NotFound is thrown as is, without an Event. */
  async deletePod(owner: KObject, namespace: string, name: string, opts: DeleteOptions = {}): Promise<void> {
    try {
      await this.kernel.delete(PODS, namespace, name, opts);
    } catch (e) {
      if (isNotFound(e)) throw e;
      this.recorder.record(owner, { type: 'Warning', reason: 'FailedDelete', message: `Error deleting: ${message(e)}` });
      throw new Error(`unable to delete pods: ${message(e)}`, { cause: e });
    }
    this.recorder.record(owner, { type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${name}` });
  }
}
