// The node-to-metrics-server messages: chunked reports, validation, and one answer per burst of scrapes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { startNatsServer, type EmbeddedNats } from '@skiff/kernel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerScrapes, decodeReport, encodeReports, encodeScrape, REPORT_SUBJECT, SCRAPE_SUBJECT, type NodeUsage } from './protocol.ts';

const node = (name: string, pods = 0): NodeUsage => ({
  node: name,
  timestampMs: 1,
  windowSeconds: 10,
  cpuNanoCores: 5,
  memoryWorkingSetBytes: 6,
  pods: Array.from({ length: pods }, (_, i) => ({ namespace: 'default', name: `p${i}`, timestampMs: 1, windowSeconds: 10, containers: [{ name: 'c', cpuNanoCores: i, memoryWorkingSetBytes: i }] })),
});

describe('reports', () => {
  it('are split into messages under the size limit, nodes whole', () => {
    const nodes = Array.from({ length: 50 }, (_, i) => node(`n${i}`, 20));
    const msgs = encodeReports(nodes, 20_000);
    expect(msgs.length).toBeGreaterThan(1);
    for (const m of msgs) expect(m.length).toBeLessThan(20_000 + 3_000);
    expect(msgs.flatMap((m) => decodeReport(m)).map((n) => n.node)).toEqual(nodes.map((n) => n.node));
  });

  it('drop what is malformed', () => {
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    expect(decodeReport(new TextEncoder().encode('not json'))).toEqual([]);
    const bad = { ...node('x', 1), pods: [{ namespace: 'default', name: 'p', timestampMs: 1, windowSeconds: 1, containers: [{ name: 'c', cpuNanoCores: -1, memoryWorkingSetBytes: 0 }] }] };
    const out = decodeReport(enc({ nodes: [bad, { node: '' }, node('ok', 1)] }));
    expect(out.map((n) => [n.node, n.pods.length])).toEqual([['x', 0], ['ok', 1]]);
  });
});

describe('answerScrapes', () => {
  let nats: EmbeddedNats;
  let nc: NatsConnection;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-metrics-'));
    nats = await startNatsServer({ dataDir: dir });
    nc = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a burst of scrapes (two replicas) once, and the next resolution again', async () => {
    const got: string[] = [];
    const sub = nc.subscribe(REPORT_SUBJECT, { callback: (_e, m) => void got.push(...decodeReport(m.data).map((n) => n.node)) });
    let calls = 0;
    const r = answerScrapes(nc, () => [node(`n${++calls}`)]);
    await nc.flush();
    nc.publish(SCRAPE_SUBJECT, encodeScrape({ resolutionSeconds: 1 }));
    nc.publish(SCRAPE_SUBJECT, encodeScrape({ resolutionSeconds: 1 }));
    nc.publish(SCRAPE_SUBJECT, new TextEncoder().encode('{}')); // not a scrape
    await new Promise((res) => setTimeout(res, 700));
    nc.publish(SCRAPE_SUBJECT, encodeScrape({ resolutionSeconds: 1 }));
    await new Promise((res) => setTimeout(res, 300));
    expect(got).toEqual(['n1', 'n2']);
    r.stop();
    sub.unsubscribe();
  });
});
