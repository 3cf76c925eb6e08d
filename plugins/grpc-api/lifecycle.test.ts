// The gRPC API's life around its calls: health follows readiness, a watcher that stops reading gets
// its events later and in order (they wait on the server, not in memory without bound), and a
// draining server ends open watches with OK (clients watch again) while unary calls finish.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { connectSkiff, type WatchEvent } from '../../integration/grpc-client.ts';
import { createGrpcApi } from './server.ts';
import { findProtoDir, LOADER_OPTIONS, SKIFF_PROTO_FILES } from './proto.ts';
import * as protoLoader from '@grpc/proto-loader';

const PROTO = findProtoDir();
const HEALTH_PROTO = join(import.meta.dirname, '..', '..', 'node_modules', 'grpc-health-check', 'proto');
const CM = { version: 'v1', resource: 'configmaps', namespace: 'default' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let t: TestKernel;

beforeAll(async () => {
  t = await startTestKernel();
});
afterAll(async () => {
  await t?.stop();
});

describe('gRPC API lifecycle', () => {
  it('reports NOT_SERVING while the readiness checks fail, SERVING again after', async () => {
    let ready = true;
    const api = await createGrpcApi({ kernel: t.kernel, readiness: async () => [{ name: 'store', ok: ready }], readinessIntervalMs: 50 });
    const c = connectSkiff({ address: `127.0.0.1:${await api.listen('127.0.0.1', 0)}`, protoDir: PROTO, healthProto: HEALTH_PROTO });
    try {
      expect(await c.health()).toBe('SERVING');
      ready = false;
      await sleep(200);
      expect(await c.health()).toBe('NOT_SERVING');
      expect(await c.health('skiff.v1.Objects')).toBe('NOT_SERVING');
      ready = true;
      await sleep(200);
      expect(await c.health()).toBe('SERVING');
    } finally {
      c.close();
      await api.stop();
    }
  });

  it('holds events for a watcher that stops reading, and delivers them all, in order, when it reads again', async () => {
    const api = await createGrpcApi({ kernel: t.kernel });
    const address = `127.0.0.1:${await api.listen('127.0.0.1', 0)}`;
    const c = connectSkiff({ address, protoDir: PROTO });
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(SKIFF_PROTO_FILES, { ...LOADER_OPTIONS, includeDirs: [PROTO] })) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    // a raw stream whose reading can be paused (flow control reaches the server: HTTP/2 windows)
    const objects = new pkg.skiff.v1.Objects(address, grpc.credentials.createInsecure());
    try {
      const rv = (await c.list(CM, { limit: 1 })).resourceVersion;
      const got: WatchEvent[] = [];
      const stream = objects.Watch({ ref: { ...CM, name: '', group: '', subresource: '' }, resourceVersion: rv, labelSelector: 'slow=1' });
      stream.on('data', (ev: { type: string; object: { json: Buffer } }) => got.push({ type: ev.type, object: JSON.parse(ev.object.json.toString()) }));
      stream.on('error', () => {});
      stream.pause();
      const big = 'x'.repeat(8 * 1024); // 8 KiB objects: 600 of them are well past the HTTP/2 windows
      for (let i = 0; i < 600; i++) await c.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `slow-${i}`, labels: { slow: '1' } }, data: { big } });
      await sleep(300);
      expect(got.length).toBeLessThan(600);
      stream.resume();
      while (got.length < 600) await sleep(20);
      expect(got.map((e) => e.object.metadata.name)).toEqual(Array.from({ length: 600 }, (_, i) => `slow-${i}`));
      stream.cancel();
    } finally {
      objects.close();
      c.close();
      await api.stop();
    }
  });

  it('ends open watches with OK when it drains, and finishes the calls in flight', async () => {
    const api = await createGrpcApi({ kernel: t.kernel });
    const c = connectSkiff({ address: `127.0.0.1:${await api.listen('127.0.0.1', 0)}`, protoDir: PROTO });
    try {
      const w = c.watch(CM, { resourceVersion: '' }, () => {});
      await sleep(100);
      // a create that is inside the kernel (held by an admission handler) when the drain begins
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const hold = t.kernel.registerAdmission({
        name: 'hold',
        phase: 'validating',
        match: (r) => r.object.metadata.name === 'during-drain',
        handle: async () => {
          entered();
          await sleep(500);
        },
      });
      const inFlight = c.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'during-drain' } });
      await inside;
      const drained = api.drain(5000);
      await expect(w.done).resolves.toBeUndefined();
      await expect(inFlight).resolves.toMatchObject({ metadata: { name: 'during-drain' } });
      await drained;
      hold.dispose();
    } finally {
      c.close();
    }
  });
});
