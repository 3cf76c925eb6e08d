// NodePorts: a pod's host ports must be free on the node. 0.0.0.0 conflicts with every address of
// the same protocol and port; a specific address conflicts with itself and with 0.0.0.0.
import type { NodeInfo, SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { SUCCESS } from '@skiff/plugin-scheduler/framework';
import { policyPlugin, type BaseConfig } from './plugin-kit.ts';
import { hostPortsOf, type HostPort } from './pod-spec.ts';

export const NODE_PORTS = 'NodePorts';
export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";
const PRE_FILTER_KEY = 'PreFilter' + NODE_PORTS;
const ANY_IP = '0.0.0.0';

/** Does `want` clash with a port in use (`${protocol}/${hostIP}/${port}`)? */
export function portConflicts(used: ReadonlySet<string>, want: HostPort): boolean {
  if (used.size === 0) return false;
  if (want.hostIP === ANY_IP) {
    const prefix = want.protocol + '/';
    const suffix = '/' + want.port;
    for (const key of used) {
      if (key.startsWith(prefix) && key.endsWith(suffix) && key.length > prefix.length + suffix.length) {
        // the middle is the address; protocol and port match exactly thanks to the separators
        const ip = key.slice(prefix.length, key.length - suffix.length);
        if (!ip.includes('/')) return true;
      }
    }
    return false;
  }
  return used.has(want.key) || used.has(`${want.protocol}/${ANY_IP}/${want.port}`);
}

export function fitsPorts(ports: readonly HostPort[], node: NodeInfo): boolean {
  for (let i = 0; i < ports.length; i++) if (portConflicts(node.usedPorts, ports[i])) return false;
  return true;
}

export function nodePorts(): SchedulerPolicy {
  return {
    name: NODE_PORTS,
    events: ['PodDelete', 'NodeAdd', 'NodeUpdate'],
    preFilter(state, pod) {
      const ports = hostPortsOf(pod);
      state.write(PRE_FILTER_KEY, ports);
      if (ports.length === 0) return { status: { code: 'Skip' } };
    },
    filter(state, pod, node) {
      const ports = state.read<readonly HostPort[]>(PRE_FILTER_KEY) ?? hostPortsOf(pod);
      if (ports.length === 0 || fitsPorts(ports, node)) return SUCCESS;
      return { code: 'Unschedulable', reasons: [ERR_REASON_NODE_PORTS] };
    },
  };
}

export const nodePortsPlugin = policyPlugin<BaseConfig>({
  name: 'node-ports',
  create: () => nodePorts(),
});
