// The plugin watcher's retry: a registrar whose socket is there but whose GetInfo fails (not
// accepting yet, busy) is asked again with back-off — not given up until it rebinds — while one
// whose answer is refused is not asked again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { afterEach, expect, it, vi } from 'vitest';
import { silentLogger } from '@skiff/kernel/plugins';
import { csiServices, unixTarget } from './proto.ts';
import { CsiDriverRegistry } from './registry.ts';
import { PluginWatcher } from './watcher.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A registrar on `socket` whose first `failFirst` GetInfo calls fail with UNAVAILABLE; then it answers `name`. */
async function fakeRegistrar(socket: string, failFirst: number, name: string) {
  const seen = { getInfo: 0, notified: [] as { pluginRegistered: boolean; error: string }[] };
  const server = new Server();
  server.addService(csiServices().Registration.service, {
    GetInfo: (_call: ServerUnaryCall<unknown, unknown>, cb: sendUnaryData<unknown>) => {
      seen.getInfo++;
      if (seen.getInfo <= failFirst) return cb({ code: status.UNAVAILABLE, details: 'not ready yet' });
      cb(null, { type: 'CSIPlugin', name, endpoint: '', supportedVersions: ['1.0.0'] });
    },
    NotifyRegistrationStatus: (call: ServerUnaryCall<{ pluginRegistered: boolean; error: string }, unknown>, cb: sendUnaryData<unknown>) => {
      seen.notified.push({ pluginRegistered: call.request.pluginRegistered, error: call.request.error });
      cb(null, {});
    },
  });
  await new Promise<void>((resolve, reject) => server.bindAsync(unixTarget(socket), ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
  cleanups.push(() => new Promise<void>((r) => server.tryShutdown(() => r())));
  return seen;
}

it('asks a registrar whose GetInfo failed again, with back-off, until it answers; a refused one only once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-watcher-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const refusals: string[] = [];
  const watcher = new PluginWatcher({ dir, registry: new CsiDriverRegistry(), logger: silentLogger, onRefused: (_s, reason) => refusals.push(reason), resyncMs: 100, callTimeoutMs: 2000 });
  cleanups.push(() => watcher.stop());
  await watcher.start();
  // (an invalid driver name: once GetInfo answers, the registration is refused and told so)
  const seen = await fakeRegistrar(join(dir, 'flaky-reg.sock'), 2, 'Not_A_Valid_Name_');
  await vi.waitFor(() => expect(seen.notified).toHaveLength(1), { timeout: 15_000, interval: 50 });
  expect(seen.getInfo).toBe(3);
  expect(seen.notified[0]).toEqual({ pluginRegistered: false, error: expect.stringMatching(/invalid CSI driver name/) });
  expect(refusals.filter((r) => /GetInfo failed/.test(r))).toHaveLength(2);
  // refused: not asked again
  await new Promise((r) => setTimeout(r, 1500));
  expect(seen.getInfo).toBe(3);
}, 30_000);
