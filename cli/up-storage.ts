// `skiff up`'s storage: the host-path CSI driver as its own process (`skiff csi-hostpath`, beside the
// node agent, registering with it through <root>/plugins_registry), and its cluster objects from
// deploy/storage/hostpath.yaml (the CSIDriver and the default StorageClass), created when missing.
// Without xfsprogs (scripts/ensure-node-deps.sh storage) the driver cannot make volumes: up says
// so and goes on without it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isAlreadyExists } from '@skiff/api';
import type { KObject, Kernel } from '@skiff/kernel';
import { repoRoot } from './server.ts';

export interface UpStorage {
  stop(): Promise<void>;
}

/** The objects of deploy/storage/hostpath.yaml, each created unless it exists (a user's edits stay). */
export async function installHostpathObjects(kernel: Kernel): Promise<string[]> {
  const docs = parseAllDocuments(readFileSync(join(repoRoot(), 'deploy', 'storage', 'hostpath.yaml'), 'utf8')).map((d) => d.toJS() as KObject);
  const made: string[] = [];
  for (const obj of docs) {
    const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
    const kind = kernel.kinds().find((k) => k.group === group && k.version === version && k.kind === obj.kind);
    if (!kind) throw new Error(`the server does not serve ${obj.apiVersion} ${obj.kind}`);
    try {
      await kernel.create({ group: group!, version: version!, resource: kind.resource }, obj, { fieldManager: 'skiff-up' });
      made.push(`${kind.resource}/${obj.metadata.name}`);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }
  return made;
}

/** Starts `skiff csi-hostpath` for this node (logs to $SKIFF_HOME/csi-hostpath.log); stop() ends it. */
export function startHostpathDriverProcess(o: { home: string; rootDir: string; nodeName: string; capacity?: string }): UpStorage {
  mkdirSync(o.home, { recursive: true });
  const log = openSync(join(o.home, 'csi-hostpath.log'), 'a');
  const args = [process.argv[1]!, 'csi-hostpath', '--root-dir', o.rootDir, '--node-id', o.nodeName, ...(o.capacity ? ['--capacity', o.capacity] : [])];
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, ...args], { stdio: ['ignore', log, log] });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
