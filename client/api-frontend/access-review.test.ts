import { describe, expect, it } from 'vitest';
import { isStatusError } from '@skiff/kernel';
import { answerSelfReview } from './access-review.ts';
import { allowAll, type Authorizer } from './authorization.ts';
import type { RequestAttributes } from './request-attributes.ts';

const alice = { name: 'alice', groups: ['dev', 'system:authenticated'] };
const ssar = (spec: unknown) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec });

async function failure(p: Promise<unknown>): Promise<{ code: number; reason: string; message: string; details?: any }> {
  try {
    await p;
  } catch (e) {
    if (isStatusError(e)) return e.status as never;
    throw e;
  }
  throw new Error('expected a Status error');
}

describe('SelfSubjectAccessReview', () => {
  it('asks the authorizer about the request the spec describes, for the caller', async () => {
    const seen: RequestAttributes[] = [];
    const onlyPods: Authorizer = {
      authorize: (a) => {
        seen.push(a);
        return a.resource === 'pods' ? { allowed: true, reason: 'pods are fine' } : { allowed: false, reason: 'no rule allows it' };
      },
    };
    const yes = await answerSelfReview(onlyPods, alice, 'selfsubjectaccessreviews', ssar({ resourceAttributes: { namespace: 'dev', verb: 'get', resource: 'pods', name: 'web' } }));
    expect(yes).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: { creationTimestamp: null },
      spec: { resourceAttributes: { namespace: 'dev', verb: 'get', resource: 'pods', name: 'web' } },
      status: { allowed: true, reason: 'pods are fine' },
    });
    expect(seen[0]).toMatchObject({ user: alice, verb: 'get', resourceRequest: true, apiGroup: '', resource: 'pods', namespace: 'dev', name: 'web' });
    const no = await answerSelfReview(onlyPods, alice, 'selfsubjectaccessreviews', ssar({ resourceAttributes: { verb: 'delete', group: 'apps', resource: 'deployments' } }));
    expect(no.status).toEqual({ allowed: false, reason: 'no rule allows it' });
    const path = await answerSelfReview(allowAll, alice, 'selfsubjectaccessreviews', ssar({ nonResourceAttributes: { path: '/healthz', verb: 'get' } }));
    expect(path.status).toEqual({ allowed: true });
  });

  it('refuses a spec naming neither or both kinds of attributes with kube\'s 422, and a body of another kind with 400', async () => {
    const none = await failure(answerSelfReview(allowAll, alice, 'selfsubjectaccessreviews', ssar({})));
    expect(none).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(none.details.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec.resourceAttributes', message: 'Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified' }]);
    const both = await failure(answerSelfReview(allowAll, alice, 'selfsubjectaccessreviews', ssar({ resourceAttributes: { verb: 'get' }, nonResourceAttributes: { path: '/x', verb: 'get' } })));
    expect(both.details.causes[0].field).toBe('spec.nonResourceAttributes');
    expect((await failure(answerSelfReview(allowAll, alice, 'selfsubjectaccessreviews', { kind: 'Pod', spec: {} }))).code).toBe(400);
    expect((await failure(answerSelfReview(allowAll, alice, 'selfsubjectaccessreviews', 'yes?'))).code).toBe(400);
  });
});

describe('SelfSubjectRulesReview', () => {
  const srr = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'dev' } };

  it('lists everything under allow-all, and what the authorizer says it resolves otherwise', async () => {
    expect((await answerSelfReview(allowAll, alice, 'selfsubjectrulesreviews', srr)).status).toEqual({
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    });
    const asked: string[] = [];
    const rbacLike: Authorizer = {
      authorize: () => ({ allowed: false }),
      rulesFor: (u, ns) => {
        asked.push(`${u.name}@${ns}`);
        return { resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], nonResourceRules: [], incomplete: false };
      },
    };
    expect((await answerSelfReview(rbacLike, alice, 'selfsubjectrulesreviews', srr)).status).toMatchObject({ resourceRules: [{ verbs: ['get'], resources: ['pods'] }] });
    expect(asked).toEqual(['alice@dev']);
  });

  it('says the list is incomplete when the authorizer cannot list rules', async () => {
    const st = (await answerSelfReview({ authorize: () => ({ allowed: true }) }, alice, 'selfsubjectrulesreviews', srr)).status as any;
    expect(st).toMatchObject({ resourceRules: [], nonResourceRules: [], incomplete: true });
    expect(st.evaluationError).toMatch(/cannot list rules/);
  });
});
