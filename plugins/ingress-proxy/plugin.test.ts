// The descriptor in a plugin host on a real kernel: config validated and defaulted, the servers
// bound where the config says (ports reported in the plugin's runtime figures), the default
// IngressClass created, and a stop that frees the ports.
import { connect, createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { INGRESS_CLASSES } from '@skiff/api';
import { PluginHost, silentLogger } from '@skiff/kernel/plugins';
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
});
