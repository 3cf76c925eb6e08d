// NetworkPolicy enforcement (type skiff.io/network-policy, node side): each agent runs it for the
// pods of its node. It watches NetworkPolicies, Pods (addresses from status.podIPs, labels, named
// container ports) and Namespaces (labels for namespaceSelectors), and programs the `np-` objects of
// `table inet skiff` (model.ts, enforcer.ts). Problems admission cannot see (a named port no pod
// has) become Warning Events on the policy. `netns` runs nft inside a named network namespace
// (tests program a "node" namespace).
import { hostname } from 'node:os';
import { NAMESPACES, NETWORK_POLICIES, PODS, type Namespace, type NetworkPolicy, type Pod } from '@skiff/api';
import { EventRecorder, SharedInformerFactory } from '@skiff/client';
import { Nft } from '@skiff/client/nftables';
import { definePlugin, NodeNameToken } from '@skiff/kernel/plugins';
import { Enforcer } from './enforcer.ts';
import type { PolicyWarning } from './model.ts';

export interface NetworkPolicyConfig {
  /** this node's name (default: the agent's node name, else the host name) */
  nodeName?: string;
  /** run nft in this named network namespace */
  netns?: string;
  /** the forward base chain's priority (after the service proxy's DNAT, which is in prerouting) */
  priority: number;
  /** a full resync at least this often; 0: only at start and after a failure */
  fullSyncSeconds: number;
  /** wait after a change before syncing, to batch a burst */
  syncDelayMs: number;
}

export const configSchema = {
  type: 'object',
  properties: {
    nodeName: { type: 'string', minLength: 1 },
    netns: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    priority: { type: 'integer', minimum: -400, maximum: 400, default: 0 },
    fullSyncSeconds: { type: 'number', minimum: 0, default: 300 },
    syncDelayMs: { type: 'integer', minimum: 0, maximum: 60_000, default: 0 },
  },
  additionalProperties: false,
};

export default definePlugin<NetworkPolicyConfig>({
  name: 'network-policy',
  version: '0.1.0',
  type: 'skiff.io/network-policy',
  configSchema,
  async start(ctx) {
    const { config, logger } = ctx;
    const nodeName = config.nodeName ?? ctx.tryResolve(NodeNameToken) ?? hostname().toLowerCase();
    const events = new EventRecorder(ctx.kernel, 'network-policy', logger, { host: nodeName });
    // a warning is recorded when it appears, not at every sync that still finds it
    let warned = new Set<string>();
    const onWarnings = (ws: PolicyWarning[]) => {
      const now = new Set<string>();
      for (const w of ws) {
        const k = `${w.policy.metadata.uid ?? ''}\0${w.policy.metadata.resourceVersion ?? ''}\0${w.message}`;
        now.add(k);
        if (!warned.has(k)) events.record(w.policy, { type: 'Warning', reason: w.reason, message: w.message });
      }
      warned = now;
    };
    const enforcer = new Enforcer({
      nft: new Nft(config.netns ? { netns: config.netns } : {}),
      nodeName,
      logger,
      priority: config.priority,
      fullSyncSeconds: config.fullSyncSeconds,
      syncDelayMs: config.syncDelayMs,
      onSync: (s) => ctx.reportRuntime({ node: nodeName, ...enforcer.stats, lastSync: { full: s.full, lines: s.lines, ms: Math.round(s.ms * 10) / 10 } }),
      onError: (message) => {
        ctx.reportRuntime({ node: nodeName, ...enforcer.stats, lastError: message });
        ctx.recordEvent({ type: 'Warning', reason: 'SyncFailed', message: `nft refused the network policy rules (the previous ones stay in force; retrying with a full sync): ${message}` });
      },
      onWarnings,
    });

    const factory = SharedInformerFactory.for(ctx.kernel, logger);
    const policies = factory.acquire<NetworkPolicy>(NETWORK_POLICIES);
    const pods = factory.acquire<Pod>(PODS);
    const namespaces = factory.acquire<Namespace>(NAMESPACES);
    const off = [
      policies.informer.addEventHandler({ onAdd: (p) => enforcer.setPolicy(p), onUpdate: (_, p) => enforcer.setPolicy(p), onDelete: (p) => enforcer.deletePolicy(p) }),
      pods.informer.addEventHandler({ onAdd: (p) => enforcer.setPod(p), onUpdate: (_, p) => enforcer.setPod(p), onDelete: (p) => enforcer.deletePod(p) }),
      namespaces.informer.addEventHandler({ onAdd: (n) => enforcer.setNamespace(n), onUpdate: (_, n) => enforcer.setNamespace(n), onDelete: (n) => enforcer.deleteNamespace(n) }),
    ];
    // the first sync waits for the first lists: rules from half the pods would cut the others off
    void Promise.all([policies.informer.synced, pods.informer.synced, namespaces.informer.synced]).then(
      () => {
        if (ctx.signal.aborted) return;
        logger.info('network policy: programming table inet skiff', { node: nodeName, netns: config.netns });
        enforcer.start();
      },
      (e: unknown) => logger.error('network policy: informers failed to sync', { error: String(e) }),
    );
    return {
      async stop() {
        for (const f of off) f();
        policies.release();
        pods.release();
        namespaces.release();
        await enforcer.stop();
        await events.stop();
      },
    };
  },
});
