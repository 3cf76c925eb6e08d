// `skiff device-plugin sample` as a process of its own against the agent's device manager over real
// unix sockets: it registers its 4 devices, gives WIDGET_IDS on Allocate, registers again when the
// agent restarts, and a SIGKILL of it takes allocatable to 0 while the allocations stay. The flags
// resolve the device-plugins directory as the agent names it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@skiff/kernel/plugins';
import { eventually } from '@skiff/kernel/testing';
import { NodeDeviceManager } from '@skiff/plugin-device-manager';
import { DEFAULT_AGENT_ROOT, devicePluginDir } from './device-plugin.ts';

const R = 'example.com/widget';
let root: string;
let dir: string;
let child: ChildProcess | undefined;
let output = '';
const managers: NodeDeviceManager[] = [];

const startManager = async () => {
  const m = new NodeDeviceManager({ dir, nodeName: 'cli-node', logger: silentLogger, socketCheckMs: 100, gracePeriodMs: 60_000 });
  managers.push(m);
  await m.start();
  return m;
};
const widget = (m: NodeDeviceManager) => m.resources().find((r) => r.name === R);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'skiff-dp-cli-'));
  dir = join(root, 'device-plugins');
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  for (const m of managers) await m.stop().catch(() => {});
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('skiff device-plugin sample', () => {
  it('finds the device-plugins directory as the agent names it', () => {
    expect(devicePluginDir({ rootDir: '/srv/agent' }, {})).toBe('/srv/agent/device-plugins');
    expect(devicePluginDir({}, { SKIFF_AGENT_ROOT_DIR: '/x' })).toBe('/x/device-plugins');
    expect(devicePluginDir({}, {})).toBe(join(DEFAULT_AGENT_ROOT, 'device-plugins'));
    expect(devicePluginDir({ rootDir: '/a', dir: '/b/dp' }, {})).toBe('/b/dp');
  });

  it('registers 4 devices, allocates WIDGET_IDS, re-registers after an agent restart; killed, its devices are withdrawn', async () => {
    let manager = await startManager();
    const main = join(import.meta.dirname, '..', 'main.ts');
    child = spawn(process.execPath, ['--import', 'tsx', main, 'device-plugin', 'sample', '--resource', R, '--count', '4', '--root-dir', root, '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (b) => (output += String(b)));
    child.stderr!.on('data', (b) => (output += String(b)));
    await eventually(() => widget(manager)?.allocatable === 4, 20_000, 'allocatable 4 from the sample process');
    expect(output).toContain('WIDGET_IDS');
    const a = await manager.allocate({ podUid: 'u1', podNamespace: 'ns', podName: 'p1', container: 'c' }, { [R]: 3 });
    expect(a.envs).toEqual([{ key: 'WIDGET_IDS', value: 'widget-0,widget-1,widget-2' }]);

    // the agent restarts: a new manager on the same directory; the process registers again
    await manager.stop();
    manager = await startManager();
    await eventually(() => widget(manager)?.allocatable === 4, 10_000, 'registered again after the agent restart');
    const b = await manager.allocate({ podUid: 'u2', podNamespace: 'ns', podName: 'p2', container: 'c' }, { [R]: 1 });
    expect(b.deviceIds[R]).toEqual(['widget-3']);

    child.kill('SIGKILL');
    await eventually(() => widget(manager)?.allocatable === 0, 10_000, 'allocatable 0 once the plugin is killed');
    expect(widget(manager)).toMatchObject({ capacity: 4, connected: false });
    expect(manager.inUse()[R]).toEqual(['widget-0', 'widget-1', 'widget-2', 'widget-3']);
  });

  it('a refused registration ends the process with the agent\'s reason', async () => {
    const main = join(import.meta.dirname, '..', 'main.ts');
    const p = spawn(process.execPath, ['--import', 'tsx', main, 'device-plugin', 'sample', '--resource', 'widget', '--root-dir', root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (b) => (err += String(b)));
    const code = await new Promise<number | null>((ok) => p.on('exit', ok));
    expect(code).toBe(1);
    expect(err).toContain('the agent refused the registration: the ResourceName "widget" is invalid');
  });
});
