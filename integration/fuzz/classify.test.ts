import { describe, expect, it } from 'vitest';
import type { FuzzCase } from './case.ts';
import { classify, directiveKey, isStatus, storedMismatch } from './classify.ts';
import { verdict } from './gen-types.ts';
import { kindNamed } from './kinds.ts';
import { Rng } from './prng.ts';
import { validLabelKey, validName } from './names.ts';
import type { Answer } from './send.ts';

const base: FuzzCase = { id: 1, cls: 'x', note: 'n', method: 'POST', path: '/api/v1/namespaces/a/configmaps', headers: {}, expect: 'reject' };
const answer = (status: number, body: unknown, ct = 'application/json'): Answer => ({ status, headers: { 'content-type': ct }, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), ms: 1 });
const status = (code: number) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'm', reason: 'BadRequest', code });

describe('classify', () => {
  it('takes a 4xx Status whose code is the HTTP code', () => {
    expect(classify(base, answer(400, status(400)), 1000)).toEqual({ bucket: '4xx', code: 400 });
  });
  it('fails a 4xx that is not a Status, or whose code differs, or that is not JSON', () => {
    expect(classify(base, answer(400, { error: 'Bad Request', statusCode: 400 }), 1000).failure).toMatch(/not a Status/);
    expect(classify(base, answer(400, status(422)), 1000).failure).toMatch(/not a Status/);
    expect(classify(base, answer(400, status(400), 'text/plain'), 1000).failure).toMatch(/content-type/);
  });
  it('fails every 5xx, a hang, and a connection closed without an answer unless the case allows it', () => {
    expect(classify(base, answer(500, status(500)), 1000).bucket).toBe('5xx');
    expect(classify(base, { headers: {}, body: Buffer.alloc(0), timedOut: true, ms: 1000 }, 1000).failure).toMatch(/no answer/);
    expect(classify(base, { headers: {}, body: Buffer.alloc(0), closed: true, ms: 1 }, 1000).failure).toMatch(/closed/);
    expect(classify({ ...base, closeOk: true }, { headers: {}, body: Buffer.alloc(0), closed: true, ms: 1 }, 1000).failure).toBeUndefined();
  });
  it('fails a 2xx for a mistake, and a 2xx that stored something else than was sent', () => {
    expect(classify(base, answer(201, { kind: 'ConfigMap' }), 1000).failure).toMatch(/accepted/);
    const sent = { metadata: { name: 'a' }, data: { k: 'v' } };
    const c: FuzzCase = { ...base, expect: 'any', stored: { collection: '/x', sent, create: true } };
    expect(classify(c, answer(201, { metadata: { name: 'a', uid: 'u' }, data: { k: 'v' } }), 1000).failure).toBeUndefined();
    expect(classify(c, answer(201, { metadata: { name: 'a' }, data: { k: 'w' } }), 1000).failure).toMatch(/data\.k/);
  });
  it('fails a patch directive stored as a field when the request carried it', () => {
    const c: FuzzCase = { ...base, method: 'PATCH', expect: 'any', body: '{"metadata":{"$retainKeys":["a"]}}' };
    expect(classify(c, answer(200, { metadata: { $retainKeys: ['a'] } }), 1000).failure).toMatch(/directive/);
    expect(classify({ ...c, body: '{}' }, answer(200, { metadata: { $retainKeys: ['a'] } }), 1000).failure).toBeUndefined();
  });
});

describe('helpers', () => {
  it('isStatus', () => {
    expect(isStatus(status(404), 404)).toBe(true);
    expect(isStatus({ ...status(404), apiVersion: 'v2' }, 404)).toBe(false);
  });
  it('storedMismatch skips server-owned fields, nulls, empty strings and unknown fields', () => {
    expect(storedMismatch({ metadata: { resourceVersion: '1', name: 'a' }, spec: { x: null, y: '' } }, { metadata: { name: 'a' }, spec: {} })).toBeUndefined();
    expect(storedMismatch({ spec: { extra: 1 } }, { spec: {} }, { spec: {} })).toBeUndefined();
    expect(storedMismatch({ spec: { replicas: 2 } }, { spec: { replicas: 3 } })).toMatch(/spec\.replicas/);
  });
  it('directiveKey finds $ keys at any depth', () => {
    expect(directiveKey({ a: [{ b: { $patch: 'x' } }] })).toBe('a[0].b.$patch');
    expect(directiveKey({ a: 1 })).toBeUndefined();
  });
  it('the PRNG repeats itself for a seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
  });
  it('names follow kube rules', () => {
    expect(validName('subdomain', 'a.b')).toBe(true);
    expect(validName('label', 'a.b')).toBe(false);
    expect(validName('label1035', '0a')).toBe(false);
    expect(validName('subdomain', 'a'.repeat(254))).toBe(false);
    expect(validLabelKey('example.com/a_b')).toBe(true);
    expect(validLabelKey('__proto__')).toBe(false);
  });
  it('verdict: int32 overflow, strings for ints, nulls', () => {
    const dep = kindNamed('Deployment');
    expect(verdict(dep, 'spec.replicas', 1, 2 ** 31)).toBe('reject');
    expect(verdict(dep, 'spec.replicas', 1, '3')).toBe('reject');
    expect(verdict(dep, 'spec.replicas', 1, -1)).toBe('reject');
    expect(verdict(dep, 'spec.replicas', 1, 2)).toBe('any');
    expect(verdict(dep, 'spec.replicas', 1, null)).toBe('any');
    expect(verdict(dep, 'spec.strategy.rollingUpdate.maxSurge', 1, '25%')).toBe('any');
    const pod = kindNamed('Pod');
    expect(verdict(pod, 'spec.activeDeadlineSeconds', 1, 2 ** 31)).toBe('any'); // int64
    expect(verdict(pod, 'spec.activeDeadlineSeconds', 1, 1e308)).toBe('reject');
    // 2^63 is also the parse of int64's largest value: accepted (docs/api-limits.md); past it refused
    expect(verdict(pod, 'spec.activeDeadlineSeconds', 1, 2 ** 63)).toBe('any');
    expect(verdict(pod, 'spec.activeDeadlineSeconds', 1, 2 ** 63 + 2048)).toBe('reject');
    expect(verdict(kindNamed('Service'), 'spec.sessionAffinity', 'None', '')).toBe('any'); // defaulted
    expect(verdict(kindNamed('Service'), 'spec.sessionAffinity', 'None', 'Sticky')).toBe('reject');
  });
});

describe('definite answers (what "partially stored" is judged on)', () => {
  it('2xx, 4xx and 503 say what became of a create; a timeout, a closed connection and a 504 do not', async () => {
    const { definite } = await import('./runner.ts');
    expect(definite({ bucket: '2xx', code: 201 })).toBe(true);
    expect(definite({ bucket: '4xx', code: 422 })).toBe(true);
    expect(definite({ bucket: '5xx', code: 503 })).toBe(true);
    expect(definite({ bucket: 'non-status', code: 400 })).toBe(true);
    expect(definite({ bucket: '5xx', code: 504 })).toBe(false);
    expect(definite({ bucket: '5xx', code: 500 })).toBe(false);
    expect(definite({ bucket: 'timeout' })).toBe(false);
    expect(definite({ bucket: 'closed' })).toBe(false);
    expect(definite({ bucket: 'non-status', code: 0 })).toBe(false);
  });
});

describe('what kube does with the values sent', () => {
  it('a Service targetPort of 0 is defaulted to the port: not a change', () => {
    const sent = { spec: { ports: [{ port: 80, targetPort: 0 }] } };
    expect(storedMismatch(sent, { spec: { ports: [{ port: 80, targetPort: 80 }] } })).toBeUndefined();
    expect(storedMismatch({ spec: { ports: [{ port: 80, targetPort: 8080 }] } }, { spec: { ports: [{ port: 80, targetPort: 80 }] } })).toMatch(/targetPort/);
  });
  it('a 2xx whose body is longer than what is kept is not judged on its start', () => {
    const big: Answer = { ...answer(200, ''), body: Buffer.from('{"kind":"ConfigMapList","items":[{"a'), truncated: true };
    expect(classify({ ...base, method: 'DELETE', expect: 'any' }, big, 1000)).toEqual({ bucket: '2xx', code: 200 });
    expect(classify({ ...base, method: 'DELETE', expect: 'any' }, { ...big, truncated: false }, 1000).failure).toMatch(/not JSON/);
  });
});
