// Service IPAM (type skiff.io/admission), as kube-apiserver allocates for Services: a cluster IP
// from the service CIDR (IPAddress objects, kube 1.33's MultiCIDRServiceAllocator) and node ports
// from the node port range (NodePortAllocation objects) at admission; the `kubernetes` ServiceCIDR
// and Service; and a repair loop that frees what deleted or changed Services no longer hold.
import { SERVICES } from '@skiff/api';
import { kitConfigSchema, type KitConfig } from '@skiff/client';
import type { AdmissionHandler, Disposable } from '@skiff/kernel';
import type { AdmissionMatch } from '@skiff/kernel/bus';
import { definePlugin } from '@skiff/kernel/plugins';
import { ServiceAllocator } from './allocator.ts';
import { Claims } from './claims.ts';
import { ipAddresses, nodePorts } from './kinds.ts';
import { ensureKubernetesService, ensureServiceCIDR } from './kubernetes-service.ts';
import { NodePortRange, ServiceIPRange } from './ranges.ts';
import { AllocationRepair } from './repair.ts';

export { ServiceAllocator, patchAllocatedValues } from './allocator.ts';
export { Claims, ownerOf, SERVICE_UID_ANNOTATION, CLAIMED_AT_ANNOTATION, RELEASED_ANNOTATION } from './claims.ts';
export { NodePortRange, ServiceIPRange, candidates } from './ranges.ts';

export interface ServiceIpamConfig extends KitConfig {
  serviceCIDR: string;
  nodePortRange: string;
  /** keep the `kubernetes` Service in `default` (and its ServiceCIDR) */
  kubernetesService: boolean;
  apiServerPort: number;
  apiServerAddresses: string[];
  /** a claim whose Service never appeared is freed after this long */
  leakGraceSeconds: number;
  /** a value a Service dropped (type change) is freed once its claim is this old */
  settleSeconds: number;
  repairIntervalSeconds: number;
}

export const configSchema = kitConfigSchema(
  {
    type: 'object',
    properties: {
      serviceCIDR: { type: 'string', minLength: 9, default: '10.96.0.0/12' },
      nodePortRange: { type: 'string', minLength: 3, default: '30000-32767' },
      kubernetesService: { type: 'boolean', default: true },
      apiServerPort: { type: 'integer', minimum: 1, maximum: 65535, default: 6443 },
      apiServerAddresses: { type: 'array', items: { type: 'string', minLength: 7 }, default: [] },
      leakGraceSeconds: { type: 'number', exclusiveMinimum: 0, default: 60 },
      settleSeconds: { type: 'number', minimum: 0, default: 5 },
      repairIntervalSeconds: { type: 'number', exclusiveMinimum: 0, default: 60 },
    },
    additionalProperties: false,
  },
  2,
);

const RETRY_MS = 1000;

export default definePlugin<ServiceIpamConfig>({
  name: 'service-ipam',
  version: '0.1.0',
  type: 'skiff.io/admission',
  configSchema,
  async start(ctx) {
    const { kernel, logger, config } = ctx;
    const ips = new ServiceIPRange(config.serviceCIDR);
    const ports = new NodePortRange(config.nodePortRange);
    const timing = { settleMs: config.settleSeconds * 1000, leakGraceMs: config.leakGraceSeconds * 1000 };
    const ipClaims = new Claims(kernel, ipAddresses, timing);
    const portClaims = new Claims(kernel, nodePorts, timing);
    const repair = new AllocationRepair(kernel, logger, ipClaims, portClaims, ips, {
      intervalMs: config.repairIntervalSeconds * 1000,
      leadership: config,
    });
    const ipInformer = repair.informer('ip');
    const portInformer = repair.informer('port');
    const allocator = new ServiceAllocator(ips, ports, ipClaims, portClaims, {
      ip: (n) => ipInformer.lister.get(undefined, ipAddresses.name(n)) !== undefined,
      port: (n) => portInformer.lister.get(undefined, nodePorts.name(n)) !== undefined,
    });
    const handler: AdmissionHandler & { matchSpec: AdmissionMatch } = {
      name: 'service-ipam',
      phase: 'mutating',
      match: (r) => r.kind.group === '' && r.kind.resource === 'services' && !r.subresource,
      matchSpec: { group: SERVICES.group, resource: SERVICES.resource, operations: ['CREATE', 'UPDATE', 'DELETE'] },
      handle: (r) => allocator.admit(r),
    };
    const registered: Disposable[] = [kernel.registerAdmission(handler)];
    await repair.start();

    // the range and the `kubernetes` Service, retried until the store takes them (kube's post-start hooks)
    let timer: NodeJS.Timeout | undefined;
    const ensure = async (): Promise<void> => {
      try {
        const other = await ensureServiceCIDR(kernel, ips);
        if (other) logger.warn('the kubernetes ServiceCIDR has other ranges than the configured one; allocating from the configured one', { stored: other, configured: String(ips) });
        if (config.kubernetesService) {
          const done = await ensureKubernetesService(kernel, ips, { apiServerPort: config.apiServerPort, apiServerAddresses: config.apiServerAddresses });
          if (done.length) logger.info('kubernetes Service written', { done, clusterIP: ips.kubernetesIP });
        }
      } catch (e) {
        logger.warn('could not write the kubernetes Service or ServiceCIDR; retrying', { error: String(e) });
        if (!ctx.signal.aborted) timer = setTimeout(() => void ensure(), RETRY_MS);
      }
    };
    await ensure();
    ctx.reportRuntime({ serviceCIDR: String(ips), nodePortRange: String(ports) });
    return {
      async stop() {
        if (timer) clearTimeout(timer);
        for (const d of registered) d.dispose();
        await repair.stop();
      },
    };
  },
});
