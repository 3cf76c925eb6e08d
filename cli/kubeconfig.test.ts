import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readKubeconfig, writeKubeconfig } from './kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-kc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('kubeconfig', () => {
  it('writes a standard kubeconfig (0600) and reads it back', async () => {
    const path = join(dir, 'sub', 'config');
    await writeKubeconfig(path, { caCertPem: CA, token: 'tok' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const doc = parse(readFileSync(path, 'utf8'));
    expect(doc).toMatchObject({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'skiff',
      clusters: [{ name: 'skiff', cluster: { server: 'https://127.0.0.1:6443' } }],
      users: [{ name: 'skiff-admin', user: { token: 'tok' } }],
      contexts: [{ name: 'skiff', context: { cluster: 'skiff', user: 'skiff-admin' } }],
    });
    expect(Buffer.from(doc.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toBe(CA);
    expect(await readKubeconfig(path)).toEqual({
      context: 'skiff',
      server: 'https://127.0.0.1:6443',
      caCertPem: CA,
      token: 'tok',
      insecureSkipTLSVerify: false,
    });
  });

  it('honours custom names and picks the current context among several', async () => {
    const path = join(dir, 'custom');
    await writeKubeconfig(path, { server: 'https://10.0.0.1:7443', caCertPem: CA, token: 't2', clusterName: 'c', user: 'u', context: 'x' });
    expect((await readKubeconfig(path)).server).toBe('https://10.0.0.1:7443');

    const multi = join(dir, 'multi');
    writeFileSync(join(dir, 'ca.pem'), CA);
    writeFileSync(join(dir, 'tok'), 'filetok\n');
    writeFileSync(
      multi,
      `apiVersion: v1
kind: Config
current-context: b
clusters:
- {name: ca, cluster: {server: "https://a:1"}}
- {name: cb, cluster: {server: "https://b:2", certificate-authority: ca.pem}}
users:
- {name: ub, user: {tokenFile: tok}}
contexts:
- {name: a, context: {cluster: ca, user: ub}}
- {name: b, context: {cluster: cb, user: ub}}
`,
    );
    expect(await readKubeconfig(multi)).toEqual({
      context: 'b', server: 'https://b:2', caCertPem: CA, token: 'filetok', insecureSkipTLSVerify: false,
    });
    expect((await readKubeconfig(multi, 'a')).server).toBe('https://a:1');
    await expect(readKubeconfig(multi, 'nope')).rejects.toThrow(/context "nope" not found/);
  });
});
