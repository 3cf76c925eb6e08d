import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { KindInfo } from '@skiff/kernel';
import { registerMetrics, requestLabels } from './metrics.ts';

const kind = (group: string, version: string, k: string, resource: string, namespaced: boolean): KindInfo =>
  ({ group, version, kind: k, resource, singular: k.toLowerCase(), listKind: `${k}List`, namespaced, shortNames: [], categories: [], subresources: ['status', 'log', 'exec'] }) as unknown as KindInfo;
const KINDS = [kind('', 'v1', 'Pod', 'pods', true), kind('apps', 'v1', 'Deployment', 'deployments', true), kind('', 'v1', 'Node', 'nodes', false)];

describe('request labels', () => {
  it('tell LIST and WATCH from GET, and DELETECOLLECTION from DELETE, as kube-apiserver does', () => {
    const l = (m: string, u: string) => requestLabels(m, u, KINDS);
    expect(l('GET', '/api/v1/namespaces/a/pods')).toMatchObject({ verb: 'LIST', group: '', version: 'v1', resource: 'pods', subresource: '' });
    expect(l('GET', '/api/v1/namespaces/a/pods/p')).toMatchObject({ verb: 'GET', resource: 'pods' });
    expect(l('GET', '/api/v1/namespaces/a/pods?watch=true&resourceVersion=5')).toMatchObject({ verb: 'WATCH', resource: 'pods' });
    expect(l('GET', '/api/v1/watch/namespaces/a/pods')).toMatchObject({ verb: 'WATCH' });
    expect(l('GET', '/api/v1/namespaces/a/pods/p/log')).toMatchObject({ verb: 'GET', subresource: 'log' });
    expect(l('DELETE', '/apis/apps/v1/namespaces/a/deployments')).toMatchObject({ verb: 'DELETECOLLECTION', group: 'apps', resource: 'deployments' });
    expect(l('PATCH', '/api/v1/nodes/n/status')).toMatchObject({ verb: 'PATCH', resource: 'nodes', subresource: 'status' });
    expect(l('GET', '/version')).toMatchObject({ verb: 'GET', resource: '' });
    expect(l('GET', '/api/v1/namespaces/a/pods/%zz')).toMatchObject({ verb: 'GET', resource: '' }); // a malformed path: no labels, no throw
  });
});

describe('GET /metrics', () => {
  it('serves the process figures and counts and times each request by verb, resource and code', async () => {
    const app = Fastify();
    registerMetrics(app, () => KINDS);
    app.get('/api/v1/namespaces/:ns/pods', async () => ({ items: [] }));
    app.post('/api/v1/namespaces/:ns/pods', async (_req, reply) => reply.code(201).send({}));
    await app.ready();
    await app.inject({ url: '/api/v1/namespaces/a/pods' });
    await app.inject({ url: '/api/v1/namespaces/a/pods' });
    await app.inject({ method: 'POST', url: '/api/v1/namespaces/a/pods', payload: {} });
    await app.inject({ url: '/api/v1/namespaces/a/pods?watch=1' });
    const r = await app.inject({ url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toContain('apiserver_request_total{verb="LIST",group="",version="v1",resource="pods",subresource="",code="200"} 2');
    expect(r.body).toContain('apiserver_request_total{verb="POST",group="",version="v1",resource="pods",subresource="",code="201"} 1');
    expect(r.body).toContain('apiserver_request_total{verb="WATCH",group="",version="v1",resource="pods",subresource="",code="200"} 1');
    expect(r.body).toContain('apiserver_request_duration_seconds_count{verb="LIST",group="",version="v1",resource="pods",subresource=""} 2');
    // watches are counted, not timed
    expect(r.body).not.toContain('apiserver_request_duration_seconds_count{verb="WATCH"');
    // the process's own: GC pauses and event-loop lag among them
    expect(r.body).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
    expect(r.body).toContain('# TYPE nodejs_gc_duration_seconds histogram');
    expect(r.body).toMatch(/^process_cpu_seconds_total \d/m);
    await app.close();
  });
});
