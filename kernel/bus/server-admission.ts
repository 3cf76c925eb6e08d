// Server side of remote admission: each registration becomes an AdmissionHandler in the kernel that
// asks the client over NATS. Registrations live as long as the client keeps them alive.
import { RequestError, type NatsConnection } from '@nats-io/nats-core';
import type { AdmissionHandler, AdmissionRequest, Disposable, Kernel, KObject } from '../types.ts';
import { decode, encode, isObj, statusError, type AdmissionAnswer, type AdmissionMatch, type AdmissionRegistration } from './protocol.ts';

interface Entry {
  reg: AdmissionRegistration;
  disposable: Disposable;
  lastSeen: number;
}

function matcher(m: AdmissionMatch | undefined): ((req: AdmissionRequest) => boolean) | undefined {
  if (!m || (m.group === undefined && m.resource === undefined && !m.operations)) return undefined;
  return (req) =>
    (m.group === undefined || m.group === req.kind.group) &&
    (m.resource === undefined || m.resource === req.kind.resource) &&
    (!m.operations || m.operations.includes(req.operation));
}

export class AdmissionRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly kernel: Kernel,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Register (idempotent: a known id is only refreshed). */
  register(reg: AdmissionRegistration): void {
    const known = this.entries.get(reg.id);
    if (known) {
      known.lastSeen = Date.now();
      return;
    }
    const handler: AdmissionHandler = {
      name: reg.name,
      phase: reg.phase,
      match: matcher(reg.match),
      // the request below times out first; the chain's own timer is the backstop
      timeoutMs: reg.timeoutMs + 50,
      failurePolicy: reg.failurePolicy,
      handle: (req) => this.call(reg, req),
    };
    const disposable = this.kernel.registerAdmission(handler);
    this.entries.set(reg.id, { reg, disposable, lastSeen: Date.now() });
  }

  private async call(reg: AdmissionRegistration, req: AdmissionRequest): Promise<KObject | void> {
    let data: Uint8Array;
    try {
      data = (await this.nc.request(reg.inbox, encode(req), { timeout: reg.timeoutMs })).data;
    } catch (e) {
      if (e instanceof RequestError && e.isNoResponders()) {
        // the client is gone: drop the handler, and this call counts as allowed (it no longer exists)
        this.unregister(reg.id);
        return undefined;
      }
      throw new Error(`remote admission handler "${reg.name}": ${(e as Error).message}`);
    }
    let a: AdmissionAnswer;
    try {
      a = decode(data) as AdmissionAnswer;
    } catch {
      throw new Error(`remote admission handler "${reg.name}" answered malformed JSON`);
    }
    if (!isObj(a)) throw new Error(`remote admission handler "${reg.name}" answered a non-object`);
    if (a.error !== undefined) throw statusError(a.error);
    if (a.crash !== undefined) throw new Error(`remote admission handler "${reg.name}" failed: ${a.crash}`);
    if (a.object !== undefined) {
      if (!isObj(a.object) || !isObj(a.object.metadata)) throw new Error(`remote admission handler "${reg.name}" answered a malformed object`);
      return reg.phase === 'mutating' ? (a.object as KObject) : undefined;
    }
    return undefined;
  }

  unregister(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    e.disposable.dispose();
  }

  keepalive(regs: AdmissionRegistration[]): void {
    for (const r of regs) this.register(r);
  }

  sweep(): void {
    const old = Date.now() - this.ttlMs;
    for (const [id, e] of this.entries) if (e.lastSeen < old) this.unregister(id);
  }

  stopAll(): void {
    for (const id of [...this.entries.keys()]) this.unregister(id);
  }
}
