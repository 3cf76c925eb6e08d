import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { startNatsServer } from '@skiff/kernel';
import { definePlugin, NatsToken, NodeNameToken, PluginHost, PluginTypes, silentLogger } from '@skiff/kernel/plugins';
import { CriRuntimeToken, type CriRuntime } from '@skiff/node-api';
import { unusedKernel } from '@skiff/kernel/plugins/testing';
import { openLogStream } from './client.ts';
import plugin from './plugin.ts';
import { NodeStreamError } from './session.ts';

/** A CRI plugin whose runtime holds no containers. */
const emptyCri = definePlugin({
  name: 'empty-cri',
  version: '0.0.1',
  type: PluginTypes.CRI,
  provides: [CriRuntimeToken],
  start(ctx) {
    ctx.provide(CriRuntimeToken, { listContainers: async () => [] } as unknown as CriRuntime);
    return { stop() {} };
  },
});

describe('node-streams plugin', () => {
  it('is a skiff.io/node plugin that needs a CRI', () => {
    expect(plugin).toMatchObject({ name: 'node-streams', type: 'skiff.io/node', requires: ['skiff.io/cri'] });
  });

  it('refuses to start outside a node agent (no NATS connection, no node name)', async () => {
    const host = new PluginHost({ kernel: unusedKernel(), logger: silentLogger });
    try {
      await expect(host.load([emptyCri, plugin])).rejects.toThrow(/node agent/);
    } finally {
      await host.stopAll();
    }
  });

  it('serves the node\'s subjects with the CRI it is given, and stops serving when stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-node-streams-plugin-'));
    const nats = await startNatsServer({ dataDir: dir });
    const nc = await connect({ servers: nats.url, noAsyncTraces: true });
    const host = new PluginHost({ kernel: unusedKernel(), logger: silentLogger });
    try {
      host.root.register(NatsToken, { useValue: nc });
      host.root.register(NodeNameToken, { useValue: 'n1.example' });
      await host.load([emptyCri, plugin]);
      const open = () => openLogStream(nc, 'n1.example', { namespace: 'ns', pod: 'p', container: 'c' }, { onData: () => {} }).catch((e: NodeStreamError) => e.status);
      expect(await open()).toMatchObject({ code: 400, message: 'container "c" in pod "p" is not available' });
      await host.stopAll();
      expect(await open()).toMatchObject({ code: 503 });
    } finally {
      await host.stopAll();
      await nc.close();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
