// The soak benchmark's load and watches against a real `skiff server` (dist/skiff.mjs, built by the
// global setup): with no one else writing, nothing is flagged; objects changed behind the load's back
// are; a watch re-opened after its timeoutSeconds ends up holding what a list holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServerProcess } from './_server.ts';
import { SoakLoad, type Outcome } from './soak-load.ts';
import { SoakWatch } from './soak-watch.ts';

let srv: Awaited<ReturnType<typeof startServerProcess>>;
let home: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-soak-test-'));
  srv = await startServerProcess(home);
  for (const ns of ['s1', 's2']) await call(srv.rest, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});

afterAll(async () => {
  await srv?.stop();
  rmSync(home, { recursive: true, force: true });
});

async function run(load: SoakLoad, n: number, concurrency = 8): Promise<Outcome[]> {
  const out: Outcome[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (out.length < n) out.push(await load.next());
    }),
  );
  return out;
}

describe('soak load and watches', () => {
  it('flags nothing when it is the only writer, and watches end up holding what a list holds', async () => {
    const agent = new Agent({ connect: { ca: srv.ca }, connections: 8, bodyTimeout: 0 });
    const errors: string[] = [];
    const watches = [{ path: '/api/v1/namespaces/s1/configmaps' }, { path: '/api/v1/secrets', labelSelector: 'soak-shard=1' }].map(
      (scope) => new SoakWatch(scope, srv.rest, agent, { minTimeoutS: 1, onError: (m) => errors.push(m) }),
    );
    const load = new SoakLoad(srv.rest, ['s1'], 40);
    await load.fill();
    for (const w of watches) await w.start();
    const outcomes = await run(load, 600);
    expect(outcomes.filter((o) => o.error).map((o) => o.error)).toEqual([]);
    expect(new Set(outcomes.map((o) => o.verb))).toEqual(new Set(['create', 'delete', 'put', 'patch', 'get', 'list', 'listLabel']));
    await new Promise((r) => setTimeout(r, 2500)); // every watch passes its timeoutSeconds at least once
    for (const w of watches) {
      const list = (await call(srv.rest, 'GET', w.scope.labelSelector ? `${w.scope.path}?labelSelector=${w.scope.labelSelector}` : w.scope.path)) as { items: never[] };
      expect(w.state.diff(list.items)).toEqual([]);
      expect(w.state.events).toBeGreaterThan(0);
      expect(w.restarts).toBeGreaterThan(0);
    }
    await Promise.all(watches.map((w) => w.stop()));
    await agent.close();
    expect(errors).toEqual([]);
  });

  it('flags reads and writes of objects someone else changed', async () => {
    const load = new SoakLoad(srv.rest, ['s2'], 20);
    await load.fill();
    // another writer updates every object the load created
    for (const kind of ['configmaps', 'secrets']) {
      const list = (await call(srv.rest, 'GET', `/api/v1/namespaces/s2/${kind}`)) as { items: { metadata: { name: string } }[] };
      for (const o of list.items.filter((x) => x.metadata.name.startsWith('soak-'))) {
        const res = await request(`${srv.rest.base}/api/v1/namespaces/s2/${kind}/${o.metadata.name}`, {
          method: 'PATCH',
          dispatcher: srv.rest.agent,
          headers: { ...srv.rest.headers, 'content-type': 'application/merge-patch+json' },
          body: JSON.stringify({ metadata: { annotations: { other: 'writer' } } }),
        });
        expect(res.statusCode).toBe(200);
        await res.body.text();
      }
    }
    const outcomes = await run(load, 60, 1);
    const kinds = new Set(outcomes.filter((o) => o.error).map((o) => o.kind));
    expect(kinds.size).toBeGreaterThan(0);
    for (const k of kinds) expect(['stale', '409']).toContain(k);
  });
});
