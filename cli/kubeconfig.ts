// A standard kubeconfig for Skiff's admin user, and a reader for the `skiff` CLI's own client.
import { loadYaml } from './yaml-lazy.ts';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';

export interface KubeconfigOptions {
  server?: string; // default https://127.0.0.1:6443
  caCertPem: string;
  token: string;
  clusterName?: string; // default skiff
  user?: string; // default skiff-admin
  context?: string; // default skiff
}

export interface KubeconfigTarget {
  context: string;
  server: string;
  caCertPem?: string;
  token?: string;
  insecureSkipTLSVerify: boolean;
}

/**
 * Writes a kubeconfig (mode 0600) whose current context points at `server` with a bearer token. As
 * JSON, which is YAML to kubectl and client libraries, and which the CLI reads without loading a
 * YAML parser (most of a client command's start).
 */
export async function writeKubeconfig(path: string, o: KubeconfigOptions): Promise<void> {
  const cluster = o.clusterName ?? 'skiff';
  const user = o.user ?? 'skiff-admin';
  const context = o.context ?? 'skiff';
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [
      {
        name: cluster,
        cluster: {
          server: o.server ?? 'https://127.0.0.1:6443',
          'certificate-authority-data': Buffer.from(o.caCertPem).toString('base64'),
        },
      },
    ],
    users: [{ name: user, user: { token: o.token } }],
    contexts: [{ name: context, context: { cluster, user } }],
    'current-context': context,
  };
  await mkdir(dirname(path), { recursive: true });
  // write aside, then rename: a reader (kubectl, a script polling for the file) never sees it half written
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

type Named<T> = { name: string } & T;
interface Doc {
  'current-context'?: string;
  clusters?: Named<{ cluster?: Record<string, unknown> }>[];
  users?: Named<{ user?: Record<string, unknown> }>[];
  contexts?: Named<{ context?: { cluster?: string; user?: string } }>[];
}

/** Reads the current context's (or `context`'s) server, CA and token from a kubeconfig. */
export async function readKubeconfig(path: string, context?: string): Promise<KubeconfigTarget> {
  const text = await readFile(path, 'utf8');
  // JSON as Skiff writes it; YAML (what kubectl writes) loads the YAML library
  const doc = ((text.trimStart().startsWith('{') ? JSON.parse(text) : (await loadYaml()).parse(text)) ?? {}) as Doc;
  const name = context ?? doc['current-context'];
  if (!name) throw new Error(`${path}: no current-context`);
  const ctx = doc.contexts?.find((c) => c.name === name)?.context;
  if (!ctx) throw new Error(`${path}: context "${name}" not found`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster || typeof cluster.server !== 'string') throw new Error(`${path}: cluster "${ctx.cluster}" has no server`);
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const rel = (p: string) => (isAbsolute(p) ? p : resolve(dirname(path), p));

  let caCertPem: string | undefined;
  if (typeof cluster['certificate-authority-data'] === 'string') {
    caCertPem = Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8');
  } else if (typeof cluster['certificate-authority'] === 'string') {
    caCertPem = await readFile(rel(cluster['certificate-authority']), 'utf8');
  }
  let token: string | undefined;
  if (typeof user.token === 'string') token = user.token;
  else if (typeof user.tokenFile === 'string') token = (await readFile(rel(user.tokenFile), 'utf8')).trim();

  return {
    context: name,
    server: cluster.server,
    caCertPem,
    token,
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
  };
}
