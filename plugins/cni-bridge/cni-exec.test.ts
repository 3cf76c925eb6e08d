// The CNI protocol as CniExec speaks it, against fake plugins (small node scripts) that record what
// they were given and answer what their config tells them to. The real plugins are run by
// bridge-network.test.ts.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CniExec, encodeCniArgs, pluginConfig } from './cni-exec.ts';
import { CniError, type CniConflist, type CniResult } from '@skiff/node-api';
import { containerIPs } from './cni-result.ts';

let dir: string;
let bin: string;
let log: string;

const FAKE = (logPath: string) => `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const conf = JSON.parse(fs.readFileSync(0, 'utf8'));
const type = path.basename(process.argv[1]);
const cmd = process.env.CNI_COMMAND;
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CNI_')));
fs.appendFileSync(${JSON.stringify(logPath)}, JSON.stringify({ type, cmd, env, conf }) + '\\n');
const b = (conf.behave || {})[cmd] || {};
if (b.sleepMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, b.sleepMs);
if (b.fail) { process.stdout.write(JSON.stringify({ cniVersion: conf.cniVersion, ...b.fail })); process.stderr.write('fake ' + type + ' failing'); process.exit(1); }
if (b.exit) { process.stderr.write(b.stderr || ''); process.exit(b.exit); }
if (b.print !== undefined) { process.stdout.write(b.print); process.exit(0); }
if (cmd === 'VERSION') { process.stdout.write(JSON.stringify({ cniVersion: conf.cniVersion, supportedVersions: ['0.4.0', '1.0.0'] })); process.exit(0); }
if (cmd === 'ADD') {
  const r = conf.prevResult || { cniVersion: conf.cniVersion, interfaces: [{ name: process.env.CNI_IFNAME, sandbox: process.env.CNI_NETNS }], ips: [{ address: '10.1.0.5/24', gateway: '10.1.0.1', interface: 0 }] };
  r.addedBy = [...(r.addedBy || []), type];
  process.stdout.write(JSON.stringify(r));
}
`;

interface Call {
  type: string;
  cmd: string;
  env: Record<string, string>;
  conf: Record<string, unknown>;
}
const calls = (): Call[] => readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call);

function installFake(name: string, inDir = bin): void {
  const p = join(inDir, name);
  writeFileSync(p, FAKE(log));
  chmodSync(p, 0o755);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-cni-exec-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
  log = join(dir, 'calls.jsonl');
  for (const t of ['fake-a', 'fake-b', 'fake-c']) installFake(t);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(() => writeFileSync(log, ''));

const list = (plugins: CniConflist['plugins'], extra: Partial<CniConflist> = {}): CniConflist => ({ cniVersion: '1.0.0', name: 'testnet', plugins, ...extra });
const rt = { containerId: 'c-123', netns: '/run/netns/some-pod', args: { K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: 'web' } };
const PORTS = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' as const }];

describe('pluginConfig', () => {
  it('adds name, cniVersion, prevResult, and runtimeConfig for declared capabilities only', () => {
    const l = list([{ type: 'a', x: 1 }, { type: 'b', capabilities: { portMappings: true, bandwidth: true } }, { type: 'c', capabilities: { portMappings: false } }]);
    const prev: CniResult = { cniVersion: '1.0.0', ips: [] };
    const caps = { capabilityArgs: { portMappings: PORTS, ipRanges: [[{ subnet: '10.0.0.0/24' }]] } };
    expect(pluginConfig(l, 0, undefined, caps)).toEqual({ type: 'a', x: 1, name: 'testnet', cniVersion: '1.0.0' });
    expect(pluginConfig(l, 1, prev, caps)).toEqual({
      type: 'b', capabilities: { portMappings: true, bandwidth: true }, name: 'testnet', cniVersion: '1.0.0', prevResult: prev,
      runtimeConfig: { portMappings: PORTS }, // bandwidth declared but not given; ipRanges given but not declared
    });
    expect(pluginConfig(l, 2, undefined, caps)).not.toHaveProperty('runtimeConfig');
  });

  it('CNI_ARGS are K=V pairs joined by ";", IgnoreUnknown=1 first unless given', () => {
    expect(encodeCniArgs({ K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: 'web' })).toBe('IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web');
    expect(encodeCniArgs({ K8S_POD_NAME: 'web', IgnoreUnknown: '0' })).toBe('K8S_POD_NAME=web;IgnoreUnknown=0');
    expect(encodeCniArgs(undefined)).toBe('');
    expect(encodeCniArgs({})).toBe('');
  });
});

describe('CniExec against fake plugins', () => {
  const exec = () => new CniExec({ binDir: bin });

  it('ADD runs the plugins in order with the CNI environment, chaining prevResult and passing portMappings as runtimeConfig', async () => {
    const l = list([{ type: 'fake-a' }, { type: 'fake-b', capabilities: { portMappings: true } }, { type: 'fake-c' }]);
    const result = await exec().add(l, { ...rt, capabilityArgs: { portMappings: PORTS } });
    const cs = calls();
    expect(cs.map((c) => `${c.cmd} ${c.type}`)).toEqual(['ADD fake-a', 'ADD fake-b', 'ADD fake-c']);
    for (const c of cs) {
      expect(c.env).toEqual({
        CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c-123', CNI_NETNS: '/run/netns/some-pod', CNI_IFNAME: 'eth0',
        CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web', CNI_PATH: bin,
      });
      expect(c.conf).toMatchObject({ name: 'testnet', cniVersion: '1.0.0' });
    }
    expect(cs[0].conf).not.toHaveProperty('prevResult');
    expect(cs[1].conf.prevResult).toMatchObject({ addedBy: ['fake-a'] });
    expect(cs[2].conf.prevResult).toMatchObject({ addedBy: ['fake-a', 'fake-b'] });
    expect(cs[1].conf.runtimeConfig).toEqual({ portMappings: PORTS });
    expect(cs[0].conf).not.toHaveProperty('runtimeConfig');
    expect(cs[2].conf).not.toHaveProperty('runtimeConfig');
    expect(result).toMatchObject({ cniVersion: '1.0.0', addedBy: ['fake-a', 'fake-b', 'fake-c'] });
    expect(containerIPs(result)).toEqual([{ address: '10.1.0.5/24', gateway: '10.1.0.1', interface: 0 }]);
  });

  it('ADD stops at the first failure and reports its code, msg and details', async () => {
    const l = list([{ type: 'fake-a' }, { type: 'fake-b', behave: { ADD: { fail: { code: 7, msg: 'bad subnet', details: 'no /33 here' } } } }, { type: 'fake-c' }]);
    const err = await exec().add(l, rt).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CniError);
    expect(err).toMatchObject({ plugin: 'fake-b', command: 'ADD', code: 7, msg: 'bad subnet', details: 'no /33 here', exitCode: 1, stderr: 'fake fake-b failing', containerId: 'c-123', network: 'testnet' });
    expect((err as Error).message).toBe('CNI plugin "fake-b" ADD (network testnet, container c-123) failed [code 7: invalid network config]: bad subnet (no /33 here)');
    expect(calls().map((c) => c.type)).toEqual(['fake-a', 'fake-b']);
  });

  it('DEL runs in reverse order with the ADD result as prevResult, and runs every plugin even when some fail', async () => {
    const prev: CniResult = { cniVersion: '1.0.0', ips: [{ address: '10.1.0.5/24' }] };
    const ok = list([{ type: 'fake-a' }, { type: 'fake-b', capabilities: { portMappings: true } }, { type: 'fake-c' }]);
    await exec().del(ok, { ...rt, capabilityArgs: { portMappings: PORTS } }, prev);
    let cs = calls();
    expect(cs.map((c) => `${c.cmd} ${c.type}`)).toEqual(['DEL fake-c', 'DEL fake-b', 'DEL fake-a']);
    for (const c of cs) expect(c.conf.prevResult).toEqual(prev);
    expect(cs[1].conf.runtimeConfig).toEqual({ portMappings: PORTS });

    writeFileSync(log, '');
    const oneFails = list([{ type: 'fake-a' }, { type: 'fake-b', behave: { DEL: { fail: { code: 11, msg: 'busy' } } } }, { type: 'fake-c' }]);
    await expect(exec().del(oneFails, rt)).rejects.toMatchObject({ name: 'CniError', plugin: 'fake-b', code: 11, message: expect.stringContaining('[code 11: try again later]: busy') });
    cs = calls();
    expect(cs.map((c) => c.type)).toEqual(['fake-c', 'fake-b', 'fake-a']);
    expect(cs[0].conf).not.toHaveProperty('prevResult'); // no ADD result known

    const twoFail = list([{ type: 'fake-a', behave: { DEL: { exit: 2, stderr: 'a broke' } } }, { type: 'fake-b', behave: { DEL: { fail: { code: 5, msg: 'disk' } } } }]);
    const err = await exec().del(twoFail, rt).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors.map((e: CniError) => e.plugin)).toEqual(['fake-b', 'fake-a']);
    expect((err as Error).message).toContain('2 plugins failed');
  });

  it('CHECK runs in order with prevResult; a list with disableCheck runs nothing', async () => {
    const prev: CniResult = { cniVersion: '1.0.0' };
    await exec().check(list([{ type: 'fake-a' }, { type: 'fake-b' }]), rt, prev);
    expect(calls().map((c) => `${c.cmd} ${c.type}`)).toEqual(['CHECK fake-a', 'CHECK fake-b']);
    expect(calls()[1].conf.prevResult).toEqual(prev);
    writeFileSync(log, '');
    await exec().check(list([{ type: 'fake-a' }], { disableCheck: true }), rt, prev);
    expect(calls()).toEqual([]);
  });

  it('VERSION: only CNI_COMMAND and CNI_PATH, the answer parsed', async () => {
    expect(await exec().version('fake-a')).toEqual({ cniVersion: '1.0.0', supportedVersions: ['0.4.0', '1.0.0'] });
    expect(calls()[0].env).toEqual({ CNI_COMMAND: 'VERSION', CNI_PATH: bin });
  });

  it('clear errors for a missing binary, a crash without an error object, an unparsable result, and a hang', async () => {
    await expect(exec().add(list([{ type: 'nope' }]), rt)).rejects.toThrow(`CNI plugin "nope" ADD (network testnet, container c-123) failed: failed to find CNI plugin "nope" in path [${bin}]`);
    await expect(exec().add(list([{ type: 'fake-a', behave: { ADD: { exit: 3, stderr: 'panic: boom' } } }]), rt)).rejects.toMatchObject({
      exitCode: 3, code: undefined, message: expect.stringContaining('failed: exited with code 3: panic: boom'),
    });
    await expect(exec().add(list([{ type: 'fake-a', behave: { ADD: { print: 'not json' } } }]), rt)).rejects.toThrow(/printed an invalid result: not JSON: "not json"/);
    await expect(exec().add(list([{ type: 'fake-a', behave: { ADD: { print: '{"ips":[]}' } } }]), rt)).rejects.toThrow(/printed an invalid result: no "cniVersion"/);
    const slow = new CniExec({ binDir: bin, timeoutMs: 300 });
    const t0 = Date.now();
    await expect(slow.add(list([{ type: 'fake-a', behave: { ADD: { sleepMs: 5000 } } }]), rt)).rejects.toThrow(/failed: timed out after 300 ms/);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('rejects a malformed list before running anything', async () => {
    await expect(exec().add({ cniVersion: '1.0.0', name: 'x', plugins: [] }, rt)).rejects.toThrow('invalid CNI network configuration list "x": "plugins" must be a non-empty list');
    await expect(exec().add(list([{ type: '../../bin/sh' }]), rt)).rejects.toThrow(/plugins\[0\]\.type must be a plugin binary name/);
    expect(calls()).toEqual([]);
  });

  it('searches the CNI_PATH directories in order', async () => {
    const first = join(dir, 'first');
    mkdirSync(first, { recursive: true });
    installFake('fake-a', first);
    const e = new CniExec({ binDir: [first, bin] });
    expect(await e.findPlugin('fake-a')).toBe(join(first, 'fake-a'));
    expect(await e.findPlugin('fake-b')).toBe(join(bin, 'fake-b'));
    await e.version('fake-b');
    expect(calls()[0].env.CNI_PATH).toBe(`${first}:${bin}`);
  });
});
