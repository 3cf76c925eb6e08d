// SIGKILL the server in the middle of 10,000 creates, restart it: every create that was answered
// with success is still there, with the same resourceVersion.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, expect, it } from 'vitest';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';

const home = mkdtempSync(join(tmpdir(), 'skiff-crash-'));
let skiff: SkiffProcess | undefined;
afterAll(async () => {
  await skiff?.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

async function post(s: SkiffProcess, agent: Agent, path: string, body: unknown) {
  const res = await request(s.url + path, {
    method: 'POST',
    dispatcher: agent,
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.body.json()) as { metadata: { resourceVersion: string } };
  return { status: res.statusCode, json };
}

it('keeps every acknowledged create across a SIGKILL', async () => {
  skiff = await startSkiff(home);
  let agent = new Agent({ connect: { ca: skiff.ca }, connections: 32 });
  await post(skiff, agent, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'crash' } });
  const acked = new Map<string, string>();
  let next = 0;
  let failures = 0;
  const killed = (async () => {
    while (acked.size < 3000) await new Promise((r) => setTimeout(r, 5));
    await skiff!.kill('SIGKILL');
  })();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < 10_000) {
        const name = `cm-${next++}`;
        try {
          const r = await post(skiff!, agent, '/api/v1/namespaces/crash/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: name } });
          if (r.status === 201) acked.set(name, r.json.metadata.resourceVersion);
        } catch {
          failures++;
          return; // the server is gone
        }
      }
    }),
  );
  await killed;
  expect(acked.size).toBeGreaterThanOrEqual(3000);
  expect(acked.size).toBeLessThan(10_000); // it really died in the middle
  await agent.close();

  skiff = await startSkiff(home);
  agent = new Agent({ connect: { ca: skiff.ca } });
  const res = await request(`${skiff.url}/api/v1/namespaces/crash/configmaps`, { dispatcher: agent, headers: { authorization: `Bearer ${skiff.token}` } });
  const list = (await res.body.json()) as { items: { metadata: { name: string; resourceVersion: string } }[] };
  const stored = new Map(list.items.map((o) => [o.metadata.name, o.metadata.resourceVersion]));
  const missing = [...acked].filter(([name]) => !stored.has(name));
  const moved = [...acked].filter(([name, rv]) => stored.has(name) && stored.get(name) !== rv);
  expect(missing).toEqual([]);
  expect(moved).toEqual([]);
  await agent.close();
}, 120_000);
