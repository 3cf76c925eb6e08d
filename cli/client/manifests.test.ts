import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifests, readManifests } from './manifests.ts';

describe('parseManifests', () => {
  it('reads multi-document YAML, skipping empty documents', async () => {
    const text = `---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: a\ndata: {k: v}\n`;
    const ms = await parseManifests(text, 'x.yaml');
    expect(ms.map((m) => `${m.object.kind}/${m.object.metadata.name}`)).toEqual(['Namespace/a', 'ConfigMap/c']);
    expect(ms[1]!.source).toBe('x.yaml');
    expect(ms[1]!.object.data).toEqual({ k: 'v' });
  });

  it('reads JSON, and expands Lists', async () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }, { apiVersion: 'v1', kind: 'ConfigMapList', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }] }] };
    expect((await parseManifests(JSON.stringify(list), 'l.json')).map((m) => m.object.metadata.name)).toEqual(['p', 'c']);
  });

  it('rejects documents without apiVersion or kind, and YAML errors', async () => {
    await expect(parseManifests('kind: Pod\nmetadata: {name: x}\n', 'f')).rejects.toThrow('error: f: apiVersion not set');
    await expect(parseManifests('apiVersion: v1\nmetadata: {name: x}\n', 'f')).rejects.toThrow('error: f: kind not set');
    await expect(parseManifests('- a\n- b\n', 'f')).rejects.toThrow(/must be an object/);
    await expect(parseManifests('a: [1, 2\n', 'f')).rejects.toThrow(/^error: f: /);
  });

  it('adds empty metadata when absent', async () => {
    expect((await parseManifests('apiVersion: v1\nkind: Pod\n', 'f'))[0]!.object.metadata).toEqual({});
  });
});

describe('readManifests', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-manifests-'));
    await writeFile(join(dir, 'b.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n');
    await writeFile(join(dir, 'a.json'), '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}');
    await writeFile(join(dir, 'notes.txt'), 'not a manifest');
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'c.yml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a directory’s yaml/yml/json files in name order; -R descends', async () => {
    expect((await readManifests([dir])).map((m) => m.object.metadata.name)).toEqual(['a', 'b']);
    expect((await readManifests([dir], { recursive: true })).map((m) => m.object.metadata.name)).toEqual(['a', 'b', 'c']);
  });

  it('reads files in argument order and reports missing paths', async () => {
    expect((await readManifests([join(dir, 'b.yaml'), join(dir, 'a.json')])).map((m) => m.object.metadata.name)).toEqual(['b', 'a']);
    await expect(readManifests([join(dir, 'nope.yaml')])).rejects.toThrow(/does not exist/);
  });
});
