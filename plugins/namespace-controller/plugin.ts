// Namespace lifecycle: deleting a Namespace marks it Terminating (the kernel does that, as the
// namespace carries the `kubernetes` finalizer); this controller then deletes everything in it,
// kind by kind, and once nothing is left removes the finalizer, which lets the kernel delete it.
import { defineController } from '@skiff/client';
import { NAMESPACES, isConflict, isNotFound } from '@skiff/api';
import type { Kernel, KObject } from '@skiff/kernel';

const FINALIZER = 'kubernetes';

/** Delete what is left in `ns`; true when nothing is left. */
export async function emptyNamespace(kernel: Kernel, ns: string): Promise<boolean> {
  let empty = true;
  // as kube's namespace deleter: only what can be listed and deleted (not kinds served read-only)
  for (const k of kernel.kinds().filter((k) => k.namespaced && k.verbs.includes('list') && k.verbs.includes('delete'))) {
    const ref = { group: k.group, version: k.version, resource: k.resource };
    const { items } = await kernel.list(ref, { namespace: ns });
    for (const o of items) {
      empty = false;
      if (o.metadata.deletionTimestamp) continue;
      try {
        await kernel.delete(ref, ns, o.metadata.name!, { propagationPolicy: 'Background' });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }
  return empty;
}

async function finalize(kernel: Kernel, ns: KObject): Promise<void> {
  const spec = (ns.spec ?? {}) as { finalizers?: string[] };
  const rest = (spec.finalizers ?? []).filter((f) => f !== FINALIZER);
  await kernel.update(NAMESPACES, { ...ns, spec: { ...spec, finalizers: rest } });
}

export default defineController<{ resyncSeconds: number }>({
  name: 'namespace-controller',
  version: '0.2.0',
  for: NAMESPACES,
  workers: 2,
  configSchema: { type: 'object', properties: { resyncSeconds: { type: 'number', minimum: 0.1, default: 1 } } },
  setup(c) {
    const namespaces = c.informer(NAMESPACES);
    return async (name) => {
      const ns = namespaces.lister.get(undefined, name);
      if (!ns?.metadata.deletionTimestamp) return;
      if (!(await emptyNamespace(c.kernel, name))) return { requeueAfterMs: c.config.resyncSeconds * 1000 };
      try {
        await finalize(c.kernel, ns);
      } catch (e) {
        if (isNotFound(e)) return;
        if (isConflict(e)) return { requeueAfterMs: 100 }; // the informer brings the newer object
        throw e;
      }
    };
  },
});
