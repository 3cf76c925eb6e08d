import { describe, expect, it } from 'vitest';
import {
  ERR_REASON_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
  interPodAffinity,
} from './inter-pod-affinity.ts';
import type { Affinity, PodAffinityTerm } from './pod-spec.ts';
import { node, pod, reasons, runFilter, runScore } from './testing.ts';

const HOST = 'kubernetes.io/hostname';
const term = (app: string, topologyKey = 'zone', extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({
  labelSelector: { matchLabels: { app } },
  topologyKey,
  ...extra,
});
const affinity = (...terms: PodAffinityTerm[]): Affinity => ({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } });
const antiAffinity = (...terms: PodAffinityTerm[]): Affinity => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } });
const AFF = [ERR_REASON_AFFINITY_RULES_NOT_MATCH];
const ANTI = [ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH];
const EXISTING = [ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH];

// zone a: n1 (db), n2; zone b: n3; n4: no zone
function cluster(dbNamespace = 'default') {
  return [
    node('n1', { labels: { zone: 'a' }, pods: [pod('db', { namespace: dbNamespace, labels: { app: 'db' } })] }),
    node('n2', { labels: { zone: 'a' } }),
    node('n3', { labels: { zone: 'b' } }),
    node('n4'),
  ];
}

describe('InterPodAffinity filter', () => {
  it("uses kube's reasons", () => {
    expect(ERR_REASON_AFFINITY_RULES_NOT_MATCH).toBe("node(s) didn't match pod affinity rules");
    expect(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH).toBe("node(s) didn't match pod anti-affinity rules");
  });

  it('required affinity: the node must share the topology domain of a matching pod', () => {
    const run = runFilter(interPodAffinity(), pod('p', { affinity: affinity(term('db')) }), cluster());
    expect(run.statuses.n3).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: AFF });
    expect(reasons(run)).toEqual({ n1: [], n2: [], n3: AFF, n4: AFF });
  });

  it('required affinity by hostname', () => {
    const run = runFilter(interPodAffinity(), pod('p', { affinity: affinity(term('db', HOST)) }), cluster());
    expect(reasons(run)).toEqual({ n1: [], n2: AFF, n3: AFF, n4: AFF });
  });

  it('lets the first pod of a self-affine group go to any node that has the key', () => {
    const run = runFilter(interPodAffinity(), pod('p', { labels: { app: 'web' }, affinity: affinity(term('web')) }), cluster());
    expect(reasons(run)).toEqual({ n1: [], n2: [], n3: [], n4: AFF });
  });

  it('a pod that does not match its own terms waits for a matching one', () => {
    const run = runFilter(interPodAffinity(), pod('p', { affinity: affinity(term('web')) }), cluster());
    expect(reasons(run)).toEqual({ n1: AFF, n2: AFF, n3: AFF, n4: AFF });
  });

  it('required anti-affinity: no matching pod in the domain', () => {
    const run = runFilter(interPodAffinity(), pod('p', { affinity: antiAffinity(term('db')) }), cluster());
    expect(run.statuses.n1).toEqual({ code: 'Unschedulable', reasons: ANTI });
    expect(reasons(run)).toEqual({ n1: ANTI, n2: ANTI, n3: [], n4: [] });
  });

  it("existing pods' anti-affinity keeps the incoming pod out of their domain", () => {
    const nodes = cluster();
    nodes[2].pods.push(pod('loner', { labels: { app: 'loner' }, affinity: antiAffinity(term('web', HOST)) }));
    const run = runFilter(interPodAffinity(), pod('p', { labels: { app: 'web' } }), nodes);
    expect(run.skipped).toBe(false);
    expect(run.statuses.n3).toEqual({ code: 'Unschedulable', reasons: EXISTING });
    expect(reasons(run)).toEqual({ n1: [], n2: [], n3: EXISTING, n4: [] });
    // a pod it does not select is not affected
    expect(runFilter(interPodAffinity(), pod('q', { labels: { app: 'api' } }), nodes).skipped).toBe(true);
  });

  it("terms select in the owner's namespace by default", () => {
    const run = runFilter(interPodAffinity(), pod('p', { affinity: affinity(term('db')) }), cluster('other'));
    expect(reasons(run)).toEqual({ n1: AFF, n2: AFF, n3: AFF, n4: AFF });
  });

  it('namespaces, namespaceSelector {} (all) and labelled namespaces', () => {
    const nodes = cluster('other');
    const listed = pod('p', { affinity: affinity(term('db', 'zone', { namespaces: ['other'] })) });
    expect(reasons(runFilter(interPodAffinity(), listed, nodes))).toEqual({ n1: [], n2: [], n3: AFF, n4: AFF });
    const all = pod('q', { affinity: affinity(term('db', 'zone', { namespaceSelector: {} })) });
    expect(reasons(runFilter(interPodAffinity(), all, nodes))).toEqual({ n1: [], n2: [], n3: AFF, n4: AFF });
    const byLabel = pod('r', { affinity: affinity(term('db', 'zone', { namespaceSelector: { matchLabels: { team: 'data' } } })) });
    expect(reasons(runFilter(interPodAffinity(), byLabel, nodes)).n1).toEqual(AFF); // namespace labels unknown
    const withLabels = interPodAffinity({ namespaceLabels: (ns): Record<string, string> => (ns === 'other' ? { team: 'data' } : {}) });
    expect(reasons(runFilter(withLabels, byLabel, nodes))).toEqual({ n1: [], n2: [], n3: AFF, n4: AFF });
  });

  it('skips pods without terms when no existing pod has anti-affinity', () => {
    expect(runFilter(interPodAffinity(), pod('p'), cluster()).skipped).toBe(true);
  });
});

describe('InterPodAffinity score', () => {
  it("weighs the incoming pod's preferred affinity and anti-affinity by domain", () => {
    const nodes = cluster();
    nodes[1].pods.push(pod('cache', { labels: { app: 'cache' } }));
    const p = pod('p', {
      affinity: {
        podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('db') }] },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term('cache', HOST) }] },
      },
    });
    const run = runScore(interPodAffinity(), p, nodes);
    expect(run.raw).toEqual({ n1: 10, n2: 5, n3: 0, n4: 0 });
    expect(run.normalized).toEqual({ n1: 100, n2: 50, n3: 0, n4: 0 });
  });

  it('normalizes negative totals between min and max', () => {
    const p = pod('p', { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 4, podAffinityTerm: term('db') }] } } });
    const run = runScore(interPodAffinity(), p, cluster());
    expect(run.raw).toEqual({ n1: -4, n2: -4, n3: 0, n4: 0 });
    expect(run.normalized).toEqual({ n1: 0, n2: 0, n3: 100, n4: 100 });
  });

  it("counts existing pods' required (hardPodAffinityWeight) and preferred terms that match the incoming pod", () => {
    const nodes = cluster();
    nodes[2].pods.push(pod('fan', { labels: { app: 'fan' }, affinity: affinity(term('web')) }));
    nodes[1].pods.push(
      pod('shy', { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 3, podAffinityTerm: term('web', HOST) }] } } }),
    );
    const web = pod('p', { labels: { app: 'web' } });
    expect(runScore(interPodAffinity(), web, nodes).raw).toEqual({ n1: 0, n2: -3, n3: 1, n4: 0 });
    expect(runScore(interPodAffinity({ hardPodAffinityWeight: 5 }), web, nodes).raw).toEqual({ n1: 0, n2: -3, n3: 5, n4: 0 });
    expect(runScore(interPodAffinity({ ignorePreferredTermsOfExistingPods: true }), web, nodes).raw).toEqual({ n1: 0, n2: 0, n3: 1, n4: 0 });
  });

  it('skips when nothing is preferred either way', () => {
    expect(runScore(interPodAffinity(), pod('p'), cluster()).skipped).toBe(true);
  });
});
