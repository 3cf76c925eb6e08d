import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CniConfigWriter } from './cni-config-writer.ts';
import { buildConflist, renderConflist } from './conflist.ts';

let root: string;
let dir: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'skiff-cni-conf-'));
  dir = join(root, 'net.d'); // created by the writer
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const conf = (cidr: string) => buildConflist({ podCIDRs: [cidr], dataDir: '/tmp/x' });

describe('CniConfigWriter', () => {
  it('writes <confDir>/10-skiff.conflist (creating the dir), 0644, exactly the rendered conflist', async () => {
    const w = new CniConfigWriter({ confDir: dir });
    const r = await w.write(conf('10.244.3.0/24'));
    expect(r).toEqual({ path: join(dir, '10-skiff.conflist'), changed: true, removed: [], shadowedBy: [] });
    expect(readFileSync(r.path, 'utf8')).toBe(renderConflist(conf('10.244.3.0/24')));
    expect(statSync(r.path).mode & 0o777).toBe(0o644);
    expect(await w.read()).toEqual(conf('10.244.3.0/24'));
  });

  it('rewrites only on change; the file is replaced by rename (a new inode), never edited in place', async () => {
    const w = new CniConfigWriter({ confDir: dir });
    await w.write(conf('10.244.3.0/24'));
    const ino = statSync(w.path).ino;
    const mtime = statSync(w.path).mtimeMs;
    expect((await w.write(conf('10.244.3.0/24'))).changed).toBe(false);
    expect(statSync(w.path).ino).toBe(ino);
    expect(statSync(w.path).mtimeMs).toBe(mtime);
    expect((await w.write(conf('10.244.9.0/24'))).changed).toBe(true);
    expect(statSync(w.path).ino).not.toBe(ino);
    expect((await w.read())?.plugins[0]).toMatchObject({ ipam: { ranges: [[{ subnet: '10.244.9.0/24' }]] } });
    expect(readdirSync(dir)).toEqual(['10-skiff.conflist']); // no temporary file left
  });

  it('removes stale Skiff conflists and leftover temp files, and leaves every other file alone', async () => {
    const w = new CniConfigWriter({ confDir: dir, fileName: '20-skiff.conflist' });
    await w.write(conf('10.244.1.0/24'));
    const others: Record<string, string> = {
      '05-other.conflist': JSON.stringify({ cniVersion: '1.0.0', name: 'other', plugins: [{ type: 'bridge' }] }),
      '99-loopback.conf': '{"cniVersion":"0.3.1","name":"lo","type":"loopback"}',
      '30-skiff.conflist': JSON.stringify({ cniVersion: '1.0.0', name: 'not-skiff', plugins: [] }), // our name pattern, not our network
      '40-skiff.conflist': 'garbage', // not provably ours
      'README': 'hello',
      '.20-skiff.conflist.bak': 'x',
    };
    for (const [n, c] of Object.entries(others)) writeFileSync(join(dir, n), c);
    writeFileSync(join(dir, '10-skiff.conflist'), renderConflist(conf('10.244.0.0/24'))); // an older priority
    writeFileSync(join(dir, '.20-skiff.conflist.0123abcd.tmp'), '{"half":'); // a crash mid-write
    const r = await w.write(conf('10.244.1.0/24'));
    expect(r.changed).toBe(false);
    expect(r.removed).toEqual(['.20-skiff.conflist.0123abcd.tmp', '10-skiff.conflist']);
    for (const [n, c] of Object.entries(others)) expect(readFileSync(join(dir, n), 'utf8')).toBe(c);
    expect(readdirSync(dir).sort()).toEqual([...Object.keys(others), '20-skiff.conflist'].sort());
    // 05-other.conflist sorts first: containerd 1.6 (max_conf_num 1) would load it, not ours
    expect(r.shadowedBy).toEqual(['05-other.conflist']);
  });

  it('refuses a foreign file name or network name', async () => {
    expect(() => new CniConfigWriter({ confDir: dir, fileName: 'skiff.json' })).toThrow(/must look like "10-skiff.conflist"/);
    await expect(new CniConfigWriter({ confDir: dir }).write({ ...conf('10.244.1.0/24'), name: 'other' })).rejects.toThrow(/network name "other" is not "skiff"/);
  });
});
