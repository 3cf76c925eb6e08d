import { describe, expect, it } from 'vitest';
import { ERR_REASON_NODE_PORTS, nodePorts } from './node-ports.ts';
import type { ContainerPort } from './pod-spec.ts';
import { node, pod, reasons, runFilter } from './testing.ts';

const withPorts = (name: string, ...ports: ContainerPort[]) => pod(name, { ports });
const REJECT = [ERR_REASON_NODE_PORTS];

describe('NodePorts', () => {
  it("uses kube's reason and code", () => {
    const n = node('n', { pods: [withPorts('x', { containerPort: 80, hostPort: 8080 })] });
    const run = runFilter(nodePorts(), withPorts('p', { containerPort: 80, hostPort: 8080 }), [n]);
    expect(run.statuses.n).toEqual({ code: 'Unschedulable', reasons: ["node(s) didn't have free ports for the requested pod ports"] });
  });

  it('conflicts only on the same protocol and port', () => {
    const n = node('n', { pods: [withPorts('x', { containerPort: 80, hostPort: 8080 })] });
    expect(n.usedPorts).toEqual(new Set(['TCP/0.0.0.0/8080']));
    const cases: [ContainerPort, boolean][] = [
      [{ hostPort: 8080 }, false],
      [{ hostPort: 8080, protocol: 'UDP' }, true],
      [{ hostPort: 8081 }, true],
      [{ hostPort: 808 }, true],
      [{ hostPort: 8080, hostIP: '10.0.0.2' }, false],
    ];
    for (const [port, ok] of cases) {
      expect(reasons(runFilter(nodePorts(), withPorts('p', port), [n])).n, JSON.stringify(port)).toEqual(ok ? [] : REJECT);
    }
  });

  it('0.0.0.0 conflicts with any address of the port', () => {
    const n = node('n', { pods: [withPorts('x', { hostPort: 8080, hostIP: '10.0.0.1' })] });
    const cases: [ContainerPort, boolean][] = [
      [{ hostPort: 8080 }, false],
      [{ hostPort: 8080, hostIP: '10.0.0.1' }, false],
      [{ hostPort: 8080, hostIP: '10.0.0.2' }, true],
      [{ hostPort: 18080 }, true],
      [{ hostPort: 80 }, true],
    ];
    for (const [port, ok] of cases) {
      expect(reasons(runFilter(nodePorts(), withPorts('p', port), [n])).n, JSON.stringify(port)).toEqual(ok ? [] : REJECT);
    }
  });

  it('checks every port of every container', () => {
    const n = node('n', { pods: [withPorts('x', { hostPort: 9000, protocol: 'UDP' })] });
    const p = pod('p', {
      containers: [
        { name: 'a', ports: [{ containerPort: 1, hostPort: 8000 }] },
        { name: 'b', ports: [{ containerPort: 2, hostPort: 9000, protocol: 'UDP' }] },
      ],
    });
    expect(reasons(runFilter(nodePorts(), p, [n, node('free')]))).toEqual({ n: REJECT, free: [] });
  });

  it('skips pods without host ports (container ports alone do not count)', () => {
    const n = node('n', { pods: [withPorts('x', { hostPort: 80 })] });
    const run = runFilter(nodePorts(), withPorts('p', { containerPort: 80 }), [n]);
    expect(run.skipped).toBe(true);
    expect(reasons(run)).toEqual({ n: [] });
  });
});
