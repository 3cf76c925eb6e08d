// The Priority admission plugin (type skiff.io/admission), as Kubernetes' plugin of that name: pods
// get their priority from their PriorityClass; at most one class is the global default; the
// system-node-critical and system-cluster-critical classes exist.
import { PODS, PRIORITY_CLASSES, type PriorityClass } from '@skiff/api';
import { SharedInformer } from '@skiff/client';
import type { AdmissionHandler, Disposable } from '@skiff/kernel';
import type { AdmissionMatch } from '@skiff/kernel/bus';
import { definePlugin } from '@skiff/kernel/plugins';
import { PriorityAdmission } from './priority.ts';
import { ensureSystemPriorityClasses } from './system-classes.ts';

export { PriorityAdmission, defaultClass, forbidden, DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS } from './priority.ts';
export { ensureSystemPriorityClasses } from './system-classes.ts';

const RETRY_MS = 1000;

export default definePlugin<Record<string, never>>({
  name: 'priority-admission',
  version: '0.1.0',
  type: 'skiff.io/admission',
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  async start(ctx) {
    const { kernel, logger } = ctx;
    const informer = new SharedInformer<PriorityClass>(kernel, PRIORITY_CLASSES, {}, logger);
    const admission = new PriorityAdmission(kernel, informer.lister);

    // the system classes, retried until the store takes them (kube's post-start hook does the same)
    let timer: NodeJS.Timeout | undefined;
    const ensure = async (): Promise<void> => {
      try {
        const created = await ensureSystemPriorityClasses(kernel);
        if (created.length) logger.info('created system priority classes', { names: created });
      } catch (e) {
        logger.warn('could not create the system priority classes; retrying', { error: String(e) });
        if (!ctx.signal.aborted) timer = setTimeout(() => void ensure(), RETRY_MS);
      }
    };
    await ensure();
    await informer.start();

    const onPods: AdmissionHandler & { matchSpec: AdmissionMatch } = {
      name: 'priority',
      phase: 'mutating',
      match: (r) => r.kind.group === '' && r.kind.resource === 'pods' && !r.subresource && (r.operation === 'CREATE' || r.operation === 'UPDATE'),
      matchSpec: { group: PODS.group, resource: PODS.resource, operations: ['CREATE', 'UPDATE'] },
      handle: (r) => admission.admitPod(r),
    };
    const onClasses: AdmissionHandler & { matchSpec: AdmissionMatch } = {
      name: 'priority-global-default',
      phase: 'validating',
      match: (r) => r.kind.group === PRIORITY_CLASSES.group && r.kind.resource === PRIORITY_CLASSES.resource && !r.subresource && (r.operation === 'CREATE' || r.operation === 'UPDATE'),
      matchSpec: { group: PRIORITY_CLASSES.group, resource: PRIORITY_CLASSES.resource, operations: ['CREATE', 'UPDATE'] },
      handle: (r) => admission.validateClass(r),
    };
    const registered: Disposable[] = [kernel.registerAdmission(onPods), kernel.registerAdmission(onClasses)];
    return {
      stop() {
        if (timer) clearTimeout(timer);
        for (const d of registered) d.dispose();
        informer.stop();
      },
    };
  },
});
