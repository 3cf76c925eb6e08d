// Claims that matter to this node's pods, watched: a claim that becomes Bound lets its pods' volumes
// be set up now (not at the next retry), and one whose status says FileSystemResizePending has its
// file system grown now (not at the next resync). The pods are found by what their volumes name:
// persistentVolumeClaim.claimName, or `<pod>-<volume>` for an ephemeral volume.
import { Informer, type Kernel, type KObject } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';

const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };

type Vol = { name: string; persistentVolumeClaim?: { claimName?: string }; ephemeral?: unknown };

/** The claims (namespace/name) a pod's volumes use. */
export function claimsOfPod(pod: KObject): string[] {
  const ns = pod.metadata.namespace ?? 'default';
  const out: string[] = [];
  for (const v of ((pod.spec as { volumes?: Vol[] } | undefined)?.volumes ?? [])) {
    if (v.persistentVolumeClaim?.claimName) out.push(`${ns}/${v.persistentVolumeClaim.claimName}`);
    else if (v.ephemeral != null) out.push(`${ns}/${pod.metadata.name}-${v.name}`);
  }
  return out;
}

const interesting = (c: KObject) => {
  const st = c.status as { phase?: string; conditions?: { type?: string }[] } | undefined;
  return st?.phase === 'Bound' || (st?.conditions ?? []).some((x) => x.type === 'FileSystemResizePending');
};

export class ClaimWatch {
  private readonly informer: Informer;
  /** the signature of each claim last seen, so only changes that matter go on */
  private readonly seen = new Map<string, string>();

  constructor(kernel: Kernel, onClaim: (key: string) => void, logger: Logger) {
    const sig = (c: KObject) => JSON.stringify([(c.status as { phase?: string })?.phase, (c.status as { conditions?: unknown })?.conditions, (c.spec as { volumeName?: string })?.volumeName]);
    const changed = (c: KObject) => {
      const key = `${c.metadata.namespace}/${c.metadata.name}`;
      const s = sig(c);
      if (this.seen.get(key) === s) return;
      this.seen.set(key, s);
      if (interesting(c)) onClaim(key);
    };
    this.informer = new Informer(
      kernel,
      PVCS,
      {
        reset: (items) => {
          this.seen.clear();
          for (const c of items) this.seen.set(`${c.metadata.namespace}/${c.metadata.name}`, sig(c));
        },
        event: (type, c) => (type === 'DELETED' ? this.seen.delete(`${c.metadata.namespace}/${c.metadata.name}`) : changed(c)),
      },
      { logger, retryMs: 2_000 },
    );
  }

  start(): void {
    void this.informer.start();
  }

  async stop(): Promise<void> {
    this.informer.stop();
    await this.informer.done;
  }
}
