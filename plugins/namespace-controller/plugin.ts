// Namespace lifecycle: deleting a Namespace marks it Terminating (the kernel does that, as the
// namespace carries the `kubernetes` finalizer); this controller then deletes everything in it,
// kind by kind, and once nothing is left removes the finalizer, which lets the kernel delete it.
import { definePlugin } from '@skiff/kernel/plugins';
import { errors, type Kernel, type KObject, type ResourceRef } from '@skiff/kernel';

const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces' };
const FINALIZER = 'kubernetes';

/** Delete what is left in `ns`; true when nothing is left. */
export async function emptyNamespace(kernel: Kernel, ns: string): Promise<boolean> {
  let empty = true;
  for (const k of kernel.kinds().filter((k) => k.namespaced)) {
    const ref = { group: k.group, version: k.version, resource: k.resource };
    const { items } = await kernel.list(ref, { namespace: ns });
    for (const o of items) {
      empty = false;
      if (o.metadata.deletionTimestamp) continue;
      try {
        await kernel.delete(ref, ns, o.metadata.name!, { propagationPolicy: 'Background' });
      } catch (e) {
        if ((e as { code?: number }).code !== 404) throw e;
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

export default definePlugin<{ resyncSeconds: number }>({
  name: 'namespace-controller',
  version: '0.1.0',
  type: 'skiff.io/controller',
  configSchema: { type: 'object', properties: { resyncSeconds: { type: 'number', default: 1 } }, additionalProperties: false },
  start(ctx) {
    const { kernel, logger } = ctx;
    const terminating = new Set<string>();
    let busy = false;
    let stopped = false;

    const reconcile = async () => {
      if (busy || stopped) return;
      busy = true;
      try {
        for (const name of [...terminating]) {
          let ns: KObject;
          try {
            ns = await kernel.get(NAMESPACES, undefined, name);
          } catch (e) {
            if ((e as { code?: number }).code === 404) terminating.delete(name);
            continue;
          }
          if (!ns.metadata.deletionTimestamp) {
            terminating.delete(name);
            continue;
          }
          if (await emptyNamespace(kernel, name)) {
            await finalize(kernel, ns).catch((e) => {
              if ((e as { code?: number }).code !== 409 && (e as { code?: number }).code !== 404) throw e;
            });
          }
        }
      } catch (e) {
        logger.warn('namespace cleanup failed; will retry', { error: String(e) });
      } finally {
        busy = false;
      }
    };

    const watch = kernel.watch(NAMESPACES, {});
    void (async () => {
      for await (const ev of watch) {
        if (ev.type === 'ERROR') throw errors.internal('namespace watch failed');
        const o = ev.object;
        if (ev.type !== 'DELETED' && o.metadata.deletionTimestamp) {
          terminating.add(o.metadata.name!);
          void reconcile();
        }
      }
    })().catch((e) => logger.error('namespace watch ended', { error: String(e) }));
    const timer = setInterval(() => void reconcile(), ctx.config.resyncSeconds * 1000);
    return {
      stop() {
        stopped = true;
        clearInterval(timer);
        watch.stop();
      },
    };
  },
});
