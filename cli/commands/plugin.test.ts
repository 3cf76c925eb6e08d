// End to end: `skiff plugin install | ls | rm` run as a user runs them (the built dist/skiff.mjs,
// finding the server through $SKIFF_HOME/nats-url) against a real server whose artifact loader
// for skiff.io/scheduler-policy is a test one (the artifact is a JSON blob of runtime figures).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, PluginsResource, type ArtifactLoader } from '@skiff/kernel/plugins';
import { eventually } from '@skiff/kernel/testing';
import { runSkiff, type CliRun } from '../../integration/skiff-process.ts';
import { startServer, type RunningServer } from '../server.ts';

let server: RunningServer;
let dir: string;
let home: string;

function skiff(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runSkiff(args, { env: { ...process.env, SKIFF_HOME: home, ...env } });
}

/** The test's artifact loader: the bytes are `{rev, calls, p50, p99, errors}`; the plugin reports them. */
const blobPolicy: ArtifactLoader = (artifact, spec) => {
  const blob = JSON.parse(new TextDecoder().decode(artifact.bytes)) as Record<string, number>;
  return definePlugin({
    name: spec.name,
    version: spec.version ?? artifact.digest.slice(7, 19),
    type: spec.type,
    configSchema: { type: 'object', properties: { weight: { type: 'integer', default: 1 }, greeting: { type: 'string' } } },
    start(ctx) {
      ctx.reportRuntime({ calls: blob.calls, callP50Us: blob.p50, callP99Us: blob.p99, errors: blob.errors, rev: blob.rev });
      ctx.recordEvent({ type: 'Normal', reason: 'PolicyLoaded', message: `rev ${blob.rev} with weight ${String(ctx.config.weight)}` });
      return { stop() {} };
    },
  });
};

const tableRow = (out: string, name: string) => out.split('\n').find((l) => l.startsWith(`${name} `))?.trim().split(/\s+/);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-plugin-cli-'));
  home = join(dir, 'home');
  server = await startServer({ home, port: 0, logLevel: 'error', artifactLoaders: { 'skiff.io/scheduler-policy': blobPolicy } });
  await writeFile(join(dir, 'v1.wasm'), JSON.stringify({ rev: 1, calls: 42, p50: 15, p99: 1500, errors: 1 }));
  await writeFile(join(dir, 'v2.wasm'), JSON.stringify({ rev: 2, calls: 7, p50: 850, p99: 2_250_000, errors: 0 }));
  await writeFile(join(dir, 'config.yaml'), 'greeting: yo\nweight: 5\n');
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('skiff plugin', () => {
  it('installs an artifact, lists it, updates it and removes it', async () => {
    // install: the artifact goes to the object store, a Plugin object names it
    let r = await skiff(['plugin', 'install', join(dir, 'v1.wasm'), '--type', 'scheduler-policy', '--name', 'cli-policy', '--weight', '2', '--wait']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const d1 = (await server.artifacts.info('cli-policy'))!.digest;
    const v1 = d1.slice(7, 19);
    expect(r.stdout).toBe(
      `artifact cli-policy stored: ${d1}, ${(await server.artifacts.info('cli-policy'))!.size} bytes\n` +
        `plugin/cli-policy created (type skiff.io/scheduler-policy, version ${v1})\n` +
        `plugin/cli-policy Running (version ${v1})\n`,
    );
    expect(server.host.list().find((p) => p.name === 'cli-policy')).toMatchObject({ state: 'Running', version: v1 });

    // ls: the table with the plugin's runtime figures (written by the server shortly after start)
    const row = await eventually(async () => {
      const ls = await skiff(['plugin', 'ls']);
      expect(ls.code).toBe(0);
      expect(ls.stdout.split('\n')[0]!.split(/\s+/)).toEqual(['NAME', 'TYPE', 'VERSION', 'STATE', 'RELOADS', 'CALLS', 'P50', 'P99', 'ERRORS', 'AGE']);
      const cells = tableRow(ls.stdout, 'cli-policy');
      return cells?.[5] === '42' ? cells : undefined;
    }, 20_000, 'runtime figures in skiff plugin ls');
    expect(row.slice(0, 9)).toEqual(['cli-policy', 'skiff.io/scheduler-policy', v1, 'Running', '0', '42', '15µs', '1.5ms', '1']);
    // plugins without figures show `-`
    const ls = await skiff(['plugin', 'list']);
    expect(tableRow(ls.stdout, 'rest-api')!.slice(3, 9)).toEqual(['Running', '0', '-', '-', '-', '-']);

    const json = await skiff(['plugin', 'ls', '-o', 'json']);
    expect(json.code).toBe(0);
    const item = (JSON.parse(json.stdout) as { items: Record<string, any>[] }).items.find((o) => o.metadata.name === 'cli-policy')!;
    expect(item).toMatchObject({
      apiVersion: 'plugins.skiff.io/v1alpha1', kind: 'Plugin',
      spec: { type: 'skiff.io/scheduler-policy', version: v1, source: { artifact: 'cli-policy', digest: d1 }, config: { weight: 2 }, failurePolicy: 'Fail' },
      status: { state: 'Running', runtime: { calls: 42, callP50Us: 15, callP99Us: 1500, errors: 1, rev: 1 } },
    });
    expect((await skiff(['plugin', 'ls', '-o', 'yaml'])).stdout).toContain('name: cli-policy');

    // the same again: nothing changes
    r = await skiff(['plugin', 'install', join(dir, 'v1.wasm'), '--type', 'skiff.io/scheduler-policy', '--name', 'cli-policy', '--weight', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`artifact cli-policy unchanged: ${d1}`);
    expect(r.stdout).toContain(`plugin/cli-policy unchanged (type skiff.io/scheduler-policy, version ${v1})`);

    // update: new bytes, a version, config from a file, a failure policy -> hot reload
    r = await skiff([
      'plugin', 'install', join(dir, 'v2.wasm'), '--type', 'scheduler-policy', '--name', 'cli-policy',
      '--version', '2.0.0', '--config', `@${join(dir, 'config.yaml')}`, '--failure-policy', 'Ignore', '--wait',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const d2 = (await server.artifacts.info('cli-policy'))!.digest;
    expect(d2).not.toBe(d1);
    expect(r.stdout).toBe(
      `artifact cli-policy stored: ${d2}, ${(await server.artifacts.info('cli-policy'))!.size} bytes\n` +
        'plugin/cli-policy updated (type skiff.io/scheduler-policy, version 2.0.0)\n' +
        'plugin/cli-policy Running (version 2.0.0)\n',
    );
    expect(server.host.list().find((p) => p.name === 'cli-policy')).toMatchObject({ state: 'Running', version: '2.0.0', reloads: 1 });
    const obj = await server.kernel.get(PluginsResource, undefined, 'cli-policy');
    expect(obj.spec).toMatchObject({ version: '2.0.0', source: { digest: d2 }, config: { greeting: 'yo', weight: 5 }, failurePolicy: 'Ignore' });
    await eventually(async () => {
      const cells = tableRow((await skiff(['plugin', 'ls'])).stdout, 'cli-policy');
      return cells?.[5] === '7' && cells;
    }, 20_000, 'v2 figures').then((cells) => expect(cells.slice(2, 9)).toEqual(['2.0.0', 'Running', '1', '7', '850µs', '2.25s', '0']));

    // the plugin's events are Events about its Plugin object
    const events = await server.kernel.list({ group: '', version: 'v1', resource: 'events' }, { namespace: 'default', fieldSelector: 'involvedObject.name=cli-policy' });
    expect(events.items.map((e) => e.message).sort()).toEqual(['rev 1 with weight 2', 'rev 2 with weight 5']);

    // rm --purge: the object and the artifact go; the server stops the plugin
    r = await skiff(['plugin', 'rm', 'cli-policy', '--purge']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('plugin/cli-policy deleted\nartifact cli-policy deleted\n');
    expect(await server.artifacts.info('cli-policy')).toBeUndefined();
    await eventually(() => !server.host.list().some((p) => p.name === 'cli-policy'), 10_000, 'the plugin to stop');
  }, 120_000);

  it('keeps an artifact another Plugin object uses when purging', async () => {
    for (const name of ['shared-a', 'shared-b']) {
      const r = await skiff(['plugin', 'install', join(dir, 'v1.wasm'), '--type', 'scheduler-policy', '--name', name, '--artifact', 'shared/policy.wasm']);
      expect(r.code).toBe(0);
    }
    let r = await skiff(['plugin', 'rm', 'shared-a', '--purge']);
    expect(r.stdout).toBe('plugin/shared-a deleted\nartifact shared/policy.wasm kept: still used by plugin/shared-b\n');
    r = await skiff(['plugin', 'rm', 'shared-b', '--purge']);
    expect(r.stdout).toBe('plugin/shared-b deleted\nartifact shared/policy.wasm deleted\n');
  }, 60_000);

  it('fails with one clear line and exit 1, never a stack trace', async () => {
    const cases: [string[], string | RegExp, Record<string, string>?][] = [
      [['plugin', 'rm', 'no-such-plugin'], 'error: plugin "no-such-plugin" not found'],
      [['plugin', 'install', join(dir, 'missing.wasm'), '--type', 'admission', '--name', 'x'], `error: cannot read ${join(dir, 'missing.wasm')}: no such file`],
      [['plugin', 'install', join(dir, 'v1.wasm'), '--type', 'admission', '--name', 'Bad_Name'], /^error: --name "Bad_Name" is not a valid name/],
      [['plugin', 'install', join(dir, 'v1.wasm'), '--type', 'admission', '--name', 'x', '--weight', '-1'], 'error: --weight must be a non-negative integer, got "-1"'],
      [['plugin', 'install', join(dir, 'v1.wasm'), '--type', 'admission', '--name', 'x', '--config', '[1]'], /^error: --config: the config must be a JSON object/],
      [['plugin', 'install', join(dir, 'v1.wasm'), '--type', 'admission', '--name', 'x', '--failure-policy', 'Maybe'], 'error: --failure-policy must be Fail or Ignore, got "Maybe"'],
      [['plugin', 'install', join(dir, 'v1.wasm'), '--name', 'x'], /error: required option '--type <type>' not specified/],
      [['plugin', 'ls', '-o', 'wide'], 'error: unknown output format "wide": use json or yaml (or nothing, for a table)'],
      [['plugin', 'ls', '--nats', 'nats://127.0.0.1:1'], /^error: cannot connect to NATS at nats:\/\/127\.0\.0\.1:1: /],
      [['plugin', 'ls'], /^error: no --nats given and .*nats-url does not exist/, { SKIFF_HOME: join(dir, 'nowhere') }],
    ];
    for (const [args, want, env] of cases) {
      const r = await skiff(args, env);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      if (typeof want === 'string') expect(r.stderr.trim()).toBe(want);
      else expect(r.stderr.trim()).toMatch(want);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    // a Plugin type no loader handles: created, and the server says why it does not run
    const r = await skiff(['plugin', 'install', join(dir, 'v1.wasm'), '--type', 'admission', '--name', 'no-loader', '--wait', '--timeout', '20']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('plugin/no-loader created (type skiff.io/admission');
    expect(r.stderr).toContain('plugin/no-loader Failed: spec.source.artifact "no-loader": no artifact loader for plugin type "skiff.io/admission"');
    expect((await skiff(['plugin', 'rm', 'no-loader', '--purge'])).code).toBe(0);
  }, 120_000);
});
