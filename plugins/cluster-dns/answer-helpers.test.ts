// The DNS server's answering helpers (answer-helper.mjs): processes reading the same UDP socket.
// A helper answers while the server's own event loop is held up; a zone change is never undone by
// an answer a helper kept; a helper that dies is started again; helpers end with the server.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '@skiff/kernel/testing';
import { Responder } from './responder.ts';
import { DnsServer } from './server.ts';
import { dataOf, encodeQuery, query } from './testing.ts';
import { ClusterZone } from './zone.ts';

const servers: DnsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

const NAME = 'x.default.svc.cluster.local';
function zoneWith(ip: string): ClusterZone {
  const zone = new ClusterZone({ domain: 'cluster.local', ttl: 5 });
  zone.setService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x', namespace: 'default' }, spec: { clusterIP: ip } });
  return zone;
}

async function serveWithHelper(zone: ClusterZone): Promise<{ server: DnsServer; port: number; responder: Responder }> {
  const responder = new Responder(zone);
  const server = new DnsServer(responder, { listen: [{ host: '127.0.0.1', port: 0 }], answerHelpers: 1 });
  servers.push(server);
  await server.start();
  await eventually(async () => server.helperPids().length === 1, 10_000, 'the helper has the socket', 20);
  return { server, port: server.addresses[0].port, responder };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Sends `msg` (a query) from another process every 20 ms for `ms`, and returns how long each answer
 * took (ms): the asking goes on while this process's event loop is blocked.
 */
function askFromAnotherProcess(port: number, msg: Buffer, ms: number): Promise<number[]> {
  const script = `
    const s = require('node:dgram').createSocket('udp4');
    const q = Buffer.from(process.argv[1], 'hex');
    const sent = new Map(), took = [];
    let id = 0;
    s.on('message', (m) => { const t = sent.get(m.readUInt16BE(0)); if (t !== undefined) took.push(performance.now() - t); });
    const t = setInterval(() => { id++; q.writeUInt16BE(id); sent.set(id, performance.now()); s.send(q, ${port}, '127.0.0.1'); }, 20);
    setTimeout(() => { clearInterval(t); setTimeout(() => { console.log(JSON.stringify(took)); process.exit(0); }, 300); }, ${ms});
  `;
  const c = spawn(process.execPath, ['-e', script, msg.toString('hex')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  c.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => c.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`the asking process exited ${code}`)))));
}

describe('DNS answering helpers', () => {
  it('a helper answers while the server’s own event loop is held up', async () => {
    const { port } = await serveWithHelper(zoneWith('10.96.0.1'));
    const msg = encodeQuery(NAME, 'A');
    // the same question many times: the helper asks the server for it once and keeps the answer
    for (let i = 0; i < 200; i++) expect(dataOf((await query(port, NAME, 'A')).packet, 'A')).toEqual(['10.96.0.1']);
    const asking = askFromAnotherProcess(port, msg, 2500);
    await new Promise((r) => setTimeout(r, 300)); // the other process is up and asking
    // this event loop (the server's) answers nothing for two seconds; queries it would answer
    // wait in the socket until it runs again
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
    const took = await asking;
    expect(took.length).toBeGreaterThan(80); // (~120 asked; a few lost to the asker's own start)
    // every one answered long before the block ended: by the helper
    expect(took.filter((ms) => ms > 1000)).toEqual([]);
  });

  it('the server’s stats count the queries its helper answered', async () => {
    const { port, responder } = await serveWithHelper(zoneWith('10.96.0.1'));
    // answered by whichever process reads each datagram first: the first builds the zone answer,
    // every later one is a zone hit wherever it is answered
    for (let i = 0; i < 300; i++) expect(dataOf((await query(port, NAME, 'A')).packet, 'A')).toEqual(['10.96.0.1']);
    await eventually(async () => responder.stats.queries === 300, 5000, 'every query counted', 50);
    expect(responder.stats).toMatchObject({ queries: 300, zoneHits: 299, truncated: 0, forwarded: 0 });
  });

  it('a zone change is never undone by an answer a helper kept', async () => {
    const zone = zoneWith('10.96.0.1');
    const { port } = await serveWithHelper(zone);
    for (let i = 0; i < 200; i++) await query(port, NAME, 'A');
    zone.setService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x', namespace: 'default' }, spec: { clusterIP: '10.96.0.2' } });
    // the helper hears of the change over IPC: a moment later, never the old address again
    await eventually(async () => dataOf((await query(port, NAME, 'A')).packet, 'A')[0] === '10.96.0.2', 2000, 'the new address', 5);
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 300; i++) expect(dataOf((await query(port, NAME, 'A')).packet, 'A')).toEqual(['10.96.0.2']);
  });

  it('a helper that dies is started again; helpers end with the server', async () => {
    const { server, port } = await serveWithHelper(zoneWith('10.96.0.1'));
    const [first] = server.helperPids();
    process.kill(first, 'SIGKILL');
    await eventually(async () => server.helperPids().length === 1 && server.helperPids()[0] !== first, 10_000, 'a new helper', 50);
    for (let i = 0; i < 50; i++) expect(dataOf((await query(port, NAME, 'A')).packet, 'A')).toEqual(['10.96.0.1']);
    const [second] = server.helperPids();
    await server.stop();
    servers.splice(servers.indexOf(server), 1);
    await eventually(async () => !alive(second), 5000, 'the helper ended', 20);
  });

  it('hot reload: the server taking the socket over keeps its helpers, which answer from its zone', async () => {
    const { server: a, port } = await serveWithHelper(zoneWith('10.96.0.1'));
    const [helper] = a.helperPids();
    for (let i = 0; i < 200; i++) await query(port, NAME, 'A');
    const b = new DnsServer(new Responder(zoneWith('10.96.0.2')), { listen: [{ host: '127.0.0.1', port }], answerHelpers: 1 });
    servers.push(b);
    await b.start();
    await a.stop();
    servers.splice(servers.indexOf(a), 1);
    expect(b.helperPids()).toEqual([helper]);
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 300; i++) expect(dataOf((await query(port, NAME, 'A')).packet, 'A')).toEqual(['10.96.0.2']);
  });
});
