// The DefaultTolerationSeconds admission plugin (type skiff.io/admission), as Kubernetes' plugin of
// that name: pods created without tolerations for the not-ready and unreachable NoExecute taints
// get them, with tolerationSeconds from the config (300 s each by default).
import { PODS } from '@skiff/api';
import type { AdmissionHandler } from '@skiff/kernel';
import type { AdmissionMatch } from '@skiff/kernel/bus';
import { definePlugin } from '@skiff/kernel/plugins';
import { addDefaultTolerations, type DefaultTolerationSecondsConfig } from './tolerations.ts';

export { addDefaultTolerations, TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE, type DefaultTolerationSecondsConfig } from './tolerations.ts';

export default definePlugin<DefaultTolerationSecondsConfig>({
  name: 'default-toleration-seconds',
  version: '0.1.0',
  type: 'skiff.io/admission',
  configSchema: {
    type: 'object',
    properties: {
      notReadyTolerationSeconds: { type: 'integer', minimum: 0, default: 300 },
      unreachableTolerationSeconds: { type: 'integer', minimum: 0, default: 300 },
    },
    additionalProperties: false,
  },
  start(ctx) {
    const cfg = ctx.config;
    const handler: AdmissionHandler & { matchSpec: AdmissionMatch } = {
      name: 'default-toleration-seconds',
      phase: 'mutating',
      // pod creation only, not its subresources (binding, status, eviction)
      match: (r) => r.kind.group === '' && r.kind.resource === 'pods' && r.operation === 'CREATE' && !r.subresource,
      matchSpec: { group: PODS.group, resource: PODS.resource, operations: ['CREATE'] },
      handle: (r) => (addDefaultTolerations(r.object, cfg) ? r.object : undefined),
    };
    const registered = ctx.kernel.registerAdmission(handler);
    return { stop: () => registered.dispose() };
  },
});
