// Bad input never crashes the gRPC API nor gets an INTERNAL: random bytes as every method's
// request, well-formed messages carrying hostile JSON, patches and refs, and oversized messages.
// Each gets a 4xx-like code (mostly INVALID_ARGUMENT), and the server keeps answering.
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createGrpcApi, type GrpcApi } from './server.ts';
import { skiffProto } from './proto.ts';

let t: TestKernel;
let api: GrpcApi;
let client: grpc.Client;
const TOKEN = 'fuzz-token';
const identity = (b: Buffer) => b;
const internalErrors: unknown[] = [];

/** A seeded PRNG, so a failure can be replayed (the seed is in the test name). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function unary(path: string, body: Buffer): Promise<{ code: grpc.status; details: string }> {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${TOKEN}`);
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, body, md, { deadline: Date.now() + 10_000 }, (err) => resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' }));
  });
}

function watch(body: Buffer): Promise<{ code: grpc.status; details: string }> {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${TOKEN}`);
  return new Promise((resolve) => {
    const s = client.makeServerStreamRequest('/skiff.v1.Objects/Watch', identity, identity, body, md, { deadline: Date.now() + 1500 });
    s.on('data', () => {});
    s.on('error', (e: grpc.ServiceError) => resolve({ code: e.code, details: e.details }));
    s.on('end', () => resolve({ code: grpc.status.OK, details: '' }));
  });
}

const METHODS = ['Get', 'List', 'Create', 'Update', 'Patch', 'Delete'].map((m) => `/skiff.v1.Objects/${m}`).concat('/skiff.v1.Discovery/ListKinds');
/** codes a client's mistake may get; never INTERNAL or UNKNOWN */
const CLIENT_CODES = new Set([grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.ALREADY_EXISTS, grpc.status.ABORTED, grpc.status.UNIMPLEMENTED, grpc.status.RESOURCE_EXHAUSTED, grpc.status.OUT_OF_RANGE]);

beforeAll(async () => {
  t = await startTestKernel();
  api = await createGrpcApi({ kernel: t.kernel, tokens: [TOKEN], onInternalError: (e) => internalErrors.push(e) });
  const port = await api.listen('127.0.0.1', 0);
  client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
});
afterAll(async () => {
  client?.close();
  await api?.stop();
  await t?.stop();
});

describe('gRPC API under hostile input', () => {
  it('answers random bytes on every method with INVALID_ARGUMENT (or another client error), never INTERNAL', async () => {
    const r = rng(13);
    for (let i = 0; i < 300; i++) {
      const path = METHODS[i % METHODS.length]!;
      const body = randomBytes(Math.floor(r() * 200));
      const res = await unary(path, body);
      expect(CLIENT_CODES.has(res.code), `${path} <- ${body.toString('hex')}: ${grpc.status[res.code]} ${res.details}`).toBe(true);
    }
    for (let i = 0; i < 20; i++) {
      const res = await watch(randomBytes(1 + Math.floor(r() * 100)));
      expect(CLIENT_CODES.has(res.code) || res.code === grpc.status.DEADLINE_EXCEEDED, `${grpc.status[res.code]} ${res.details}`).toBe(true);
    }
    expect(internalErrors).toEqual([]);
  });

  it('answers well-formed messages carrying hostile objects, patches and refs with client errors', async () => {
    const root = (await skiffProto()).root;
    const enc = (type: string, v: object) => Buffer.from(root.lookupType(type).encode(root.lookupType(type).fromObject(v)).finish());
    const cmRef = { version: 'v1', resource: 'configmaps', namespace: 'default' };
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const jsons = [
      deep,
      '{"metadata":' + deep + '}',
      '"a string"',
      '[]',
      'null',
      '{"metadata":[]}',
      '{"metadata":"x"}',
      '{"metadata":{"name":{"$ne":1}}}',
      '{"metadata":{"name":"a/b"}}',
      '{"metadata":{"name":"' + 'x'.repeat(300) + '"}}',
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ok-1","labels":{"a":{"b":1}}}}',
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ok-2"},"data":{"k":[1,2]}}',
      '{"apiVersion":"v2","kind":"Pod","metadata":{"name":"x"}}',
      '{"__proto__":{"polluted":true},"metadata":{"name":"proto"}}',
      '\u0000\u0001',
      '{"metadata":{"name":"\ud800"}}',
    ];
    const refs = [
      {},
      { version: 'v1' },
      { version: 'v1', resource: 'configmaps', namespace: '../../etc' },
      { version: 'v1', resource: 'configmaps', namespace: 'default', name: 'a.b_c' },
      { version: 'v1', resource: 'configmaps', namespace: 'x'.repeat(10_000), name: 'n' },
      { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'default', name: 'n', subresource: 'nope' },
      { version: 'v1', resource: 'nodes', namespace: 'default', name: 'n' },
      { version: 'v1', resource: 'configmaps', namespace: 'default', name: 'n', subresource: 'status' },
      { version: '\u0000', resource: '*', name: '*' },
    ];
    const codes: grpc.status[] = [];
    const check = (what: string, res: { code: grpc.status; details: string }) => {
      codes.push(res.code);
      expect(CLIENT_CODES.has(res.code), `${what}: ${grpc.status[res.code]} ${res.details}`).toBe(true);
    };
    for (const json of jsons) {
      for (const m of ['Create', 'Update']) check(`${m} ${json.slice(0, 40)}`, await unary(`/skiff.v1.Objects/${m}`, enc(`skiff.v1.${m}Request`, { ref: cmRef, object: { json: Buffer.from(json) } })));
      for (const pt of ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml', '', 'x']) {
        check(`Patch ${pt} ${json.slice(0, 40)}`, await unary('/skiff.v1.Objects/Patch', enc('skiff.v1.PatchRequest', { ref: { ...cmRef, name: 'ok-1' }, patchType: pt, patch: Buffer.from(json), fieldManager: 'f' })));
      }
    }
    const yamls = ['a: &a [*a]', 'a: !!binary x', '? [a]: 1', '---\na: 1\n---\nb: 2', 'a: .inf', `${'- '.repeat(5000)}x`, 'lol: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]'];
    for (const y of yamls) check(`apply ${y.slice(0, 30)}`, await unary('/skiff.v1.Objects/Patch', enc('skiff.v1.PatchRequest', { ref: { ...cmRef, name: 'ok-1' }, patchType: 'application/apply-patch+yaml', patch: Buffer.from(y), fieldManager: 'f' })));
    for (const ref of refs) {
      check(`Get ${JSON.stringify(ref).slice(0, 60)}`, await unary('/skiff.v1.Objects/Get', enc('skiff.v1.GetRequest', { ref })));
      check(`Delete ${JSON.stringify(ref).slice(0, 60)}`, await unary('/skiff.v1.Objects/Delete', enc('skiff.v1.DeleteRequest', { ref, propagationPolicy: 'Sideways', gracePeriodSeconds: { value: -5 } })));
      check(`List ${JSON.stringify(ref).slice(0, 60)}`, await unary('/skiff.v1.Objects/List', enc('skiff.v1.ListRequest', { ref, limit: -1, continue: 'garbage', resourceVersion: 'abc' })));
      check(`Watch ${JSON.stringify(ref).slice(0, 60)}`, await watch(enc('skiff.v1.WatchRequest', { ref, resourceVersion: '99999999999999999999', timeoutSeconds: -1, labelSelector: '!!' })));
    }
    check('field manager', await unary('/skiff.v1.Objects/Create', enc('skiff.v1.CreateRequest', { ref: cmRef, object: { json: Buffer.from('{"metadata":{"name":"fm"}}') }, fieldManager: '\u0007'.repeat(200) })));
    expect(codes.filter((c) => c === grpc.status.INVALID_ARGUMENT).length).toBeGreaterThan(codes.length / 2);
    expect(internalErrors).toEqual([]);
  });

  it('refuses a message over the size limit with RESOURCE_EXHAUSTED and goes on serving', async () => {
    const res = await unary('/skiff.v1.Objects/Create', Buffer.alloc(5 * 1024 * 1024, 1));
    expect(res.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const root = (await skiffProto()).root;
    const T = root.lookupType('skiff.v1.GetRequest');
    const ok = await unary('/skiff.v1.Objects/Get', Buffer.from(T.encode(T.fromObject({ ref: { version: 'v1', resource: 'namespaces', name: 'default' } })).finish()));
    expect(ok.code).toBe(grpc.status.OK);
  });
});
