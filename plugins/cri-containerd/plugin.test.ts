import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginHost, silentLogger, type PluginEventRecord } from '@skiff/kernel/plugins';
import { unusedKernel } from '@skiff/kernel/plugins/testing';
import { describe, expect, it } from 'vitest';
import { CriClient, DEFAULT_CRI_SOCKET } from './cri-client.ts';
import { CriRuntimeToken, isUnavailable } from '@skiff/node-api';
import plugin from './plugin.ts';
import { itNeeding } from '../../scripts/test-parts.ts';

const newHost = () => new PluginHost({ kernel: unusedKernel(), logger: silentLogger });

describe('cri-containerd plugin', () => {
  it('is a skiff.io/cri plugin with containerd defaults and a strict config', async () => {
    expect(plugin.type).toBe('skiff.io/cri');
    const host = newHost();
    await expect(host.load([{ descriptor: plugin, config: { sokcet: '/x' } }])).rejects.toThrow(/sokcet|additional/);
    await host.stop();
  });

  it('starts without a runtime, says so, and provides a client that fails with UNAVAILABLE', async () => {
    const host = newHost();
    const events: PluginEventRecord[] = [];
    host.on('event', (e: PluginEventRecord) => events.push(e));
    const socket = join(tmpdir(), `skiff-no-cri-${randomUUID()}.sock`);
    try {
      await host.load([{ descriptor: plugin, config: { socket, timeoutMs: 2_000 } }]);
      expect(events.map((e) => [e.event.type, e.event.reason])).toEqual([['Warning', 'RuntimeUnavailable']]);
      const cri = host.resolve(CriRuntimeToken);
      expect((cri as CriClient).target).toBe(`unix://${socket}`);
      expect(isUnavailable(await cri.version().catch((e: unknown) => e))).toBe(true);
    } finally {
      await host.stop();
    }
  });

  itNeeding(['root', 'containerd'], 'provides a working client to other plugins, across a hot reload', async () => {
    const host = newHost();
    try {
      await host.load([plugin]);
      const first = host.resolve(CriRuntimeToken);
      expect((first as CriClient).target).toBe(DEFAULT_CRI_SOCKET);
      expect((await first.version()).runtimeName).toBe('containerd');
      await host.reload('cri-containerd', plugin);
      const second = host.resolve(CriRuntimeToken);
      expect(second).not.toBe(first);
      expect((await second.version()).runtimeName).toBe('containerd');
    } finally {
      await host.stop();
    }
  });
});
