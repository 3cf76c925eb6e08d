// The descriptor in a plugin host on a real kernel: config validated and defaulted, the servers
// bound where the config says (ports reported in the plugin's runtime figures), the default
// IngressClass created, and a stop that frees the ports; a port another process holds is waited
// out (said in the log and in Events on the Node) while the rest serves.
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EVENTS, INGRESS_CLASSES } from '@skiff/api';
import type { KObject } from '@skiff/kernel';
import { ConsoleLogger, PluginHost, silentLogger } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import plugin from './plugin.ts';
import { get } from './testing.ts';

let tk: TestKernel;
beforeAll(async () => {
  tk = await startTestKernel();
});
afterAll(async () => {
  await tk?.stop();
});

const refused = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect(port, '127.0.0.1');
  s.on('connect', () => (s.destroy(), resolve(false)));
  s.on('error', () => resolve(true));
});

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as AddressInfo).port;
    s.close(() => resolve(p));
  });
});

describe('ingress-proxy plugin', () => {
  test('refuses a config it cannot use', async () => {
    const host = new PluginHost({ kernel: tk.kernel, logger: silentLogger });
    await expect(host.load([{ descriptor: plugin, config: { httpPort: 70000 } }])).rejects.toThrow(/httpPort/);
    await expect(host.load([{ descriptor: plugin, config: { className: 'Not A Name' } }])).rejects.toThrow(/className/);
    await host.stopAll();
  });

  test('listens where told, answers 404 for what no Ingress routes, creates its class, and frees the ports on stop', async () => {
    const host = new PluginHost({ kernel: tk.kernel, logger: silentLogger });
    await host.load([{ descriptor: plugin, config: { nodeName: 'node-1', address: '127.0.0.1', listenAddress: '127.0.0.1', httpPort: 0, httpsPort: 0 } }]);
    const rt = host.runtime('ingress-proxy') as { httpPort: number; httpsPort: number; node: string };
    expect(rt.node).toBe('node-1');
    expect(rt.httpPort).toBeGreaterThan(0);
    const r = await get(rt.httpPort, '/', { host: 'nothing.example' });
    expect(r).toMatchObject({ status: 404, body: 'default backend - 404\n' });
    expect((await get(rt.httpsPort, '/', { https: true, servername: 'x.example' })).status).toBe(404);
    await eventually(() => tk.kernel.get(INGRESS_CLASSES, undefined, 'skiff').catch(() => undefined), 5_000, 'IngressClass skiff');
    await host.stopAll();
    expect(await refused(rt.httpPort)).toBe(true);
    expect(await refused(rt.httpsPort)).toBe(true);
  });

  test('a hot reload on fixed ports takes the listening servers over (no EADDRINUSE, no gap)', async () => {
    const [hp, sp] = await Promise.all([freePort(), freePort()]);
    const host = new PluginHost({ kernel: tk.kernel, logger: silentLogger });
    const config = { nodeName: 'node-1', address: '127.0.0.1', listenAddress: '127.0.0.1', httpPort: hp, httpsPort: sp };
    await host.load([{ descriptor: plugin, config }]);
    expect((await get(hp, '/')).status).toBe(404);
    await host.reload('ingress-proxy', { ...plugin, version: '0.1.1' });
    expect(host.list().find((p) => p.name === 'ingress-proxy')).toMatchObject({ version: '0.1.1' });
    expect((await get(hp, '/')).status).toBe(404);
    expect((await get(sp, '/', { https: true, servername: 'x.example' })).status).toBe(404);
    await host.stopAll();
    expect(await refused(hp)).toBe(true);
    expect(await refused(sp)).toBe(true);
  });

  test('httpsPort -1: no HTTPS server', async () => {
    const host = new PluginHost({ kernel: tk.kernel, logger: silentLogger });
    await host.load([{ descriptor: plugin, config: { nodeName: 'node-1', listenAddress: '127.0.0.1', httpPort: 0, httpsPort: -1, className: '' } }]);
    expect(host.runtime('ingress-proxy')).toMatchObject({ httpsPort: null });
    await host.stopAll();
  });

  test('a port another process holds: start goes on, the log and a Warning Event on the Node say so, and the proxy listens once it is free', async () => {
    // another process's server, as far as the proxy knows: not one of its own listeners
    const blocker: Server = await new Promise((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => resolve(s));
    });
    const taken = (blocker.address() as AddressInfo).port;
    const lines: { level: string; msg: string }[] = [];
    const logger = new ConsoleLogger({ level: 'info', write: (l) => lines.push(JSON.parse(l)) });
    const host = new PluginHost({ kernel: tk.kernel, logger });
    const node = 'node-retry';
    await host.load([{ descriptor: plugin, config: { nodeName: node, address: '127.0.0.1', listenAddress: '127.0.0.1', httpPort: taken, httpsPort: 0, bindRetryMs: 100, className: '' } }]);
    try {
      const rt = host.runtime('ingress-proxy') as { httpPort: number | null; httpsPort: number; notListening?: Record<string, string> };
      expect(rt.httpPort).toBeNull();
      expect(rt.notListening?.http).toMatch(/taken by another process \(EADDRINUSE\)/);
      // HTTPS serves meanwhile
      expect((await get(rt.httpsPort, '/', { https: true, servername: 'x.example' })).status).toBe(404);
      const warned = lines.filter((l) => l.level === 'warn' && l.msg.includes(`cannot listen for http on 127.0.0.1:${taken}`));
      expect(warned.length).toBe(1);
      const events = async () => ((await tk.kernel.list(EVENTS, { namespace: 'default' })).items as (KObject & { involvedObject: Record<string, string>; reason: string; type: string; message: string; count?: number })[]).filter((e) => e.involvedObject.name === node);
      const warning = await eventually(async () => (await events()).find((e) => e.reason === 'IngressListenFailed'), 5_000, 'the Warning Event');
      expect(warning).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Node', name: node, uid: node } });
      expect(warning.message).toBe(`Ingress proxy cannot listen for HTTP on 127.0.0.1:${taken}: the port is taken by another process (EADDRINUSE); trying again every 0.1 s`);
      // several retries, still one warning line (not one per attempt)
      await new Promise((r) => setTimeout(r, 500));
      expect(lines.filter((l) => l.level === 'warn').length).toBe(1);
      await new Promise<void>((r) => blocker.close(() => r()));
      await eventually(async () => (await get(taken, '/').catch(() => undefined))?.status === 404, 5_000, 'the proxy on the freed port');
      expect(host.runtime('ingress-proxy')).toMatchObject({ httpPort: taken });
      expect((host.runtime('ingress-proxy') as { notListening?: unknown }).notListening).toBeUndefined();
      expect(lines.some((l) => l.level === 'info' && l.msg === `ingress proxy http listening on 127.0.0.1:${taken} now`)).toBe(true);
      const normal = await eventually(async () => (await events()).find((e) => e.reason === 'IngressListening'), 5_000, 'the Normal Event');
      expect(normal).toMatchObject({ type: 'Normal', message: `Ingress proxy is listening for HTTP on 127.0.0.1:${taken}` });
    } finally {
      await host.stopAll();
      blocker.close();
    }
    expect(await refused(taken)).toBe(true);
  });

  test('without bindRetryMs a taken port fails the start, as before', async () => {
    const blocker: Server = await new Promise((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => resolve(s));
    });
    const host = new PluginHost({ kernel: tk.kernel, logger: silentLogger });
    try {
      await expect(host.load([{ descriptor: plugin, config: { nodeName: 'node-1', listenAddress: '127.0.0.1', httpPort: (blocker.address() as AddressInfo).port, httpsPort: -1, className: '' } }])).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await host.stopAll();
      blocker.close();
    }
  });
});
