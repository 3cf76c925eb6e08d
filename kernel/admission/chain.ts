// The admission chain: mutating handlers -> defaulting + schema validation -> validating handlers.
// Each handler has a timeout and a failurePolicy. A handler that rejects on purpose (throws a
// StatusError) always rejects; one that crashes or times out is skipped under Ignore and fails the
// request under Fail.
import { errors, isStatusError, type StatusCause } from '../status.ts';
import type { AdmissionHandler, AdmissionRequest, Disposable, KObject } from '../types.ts';

export interface SchemaStep {
  /** fill defaults in place */
  default(obj: KObject): void;
  /** every problem with the object, field by field */
  validate(obj: KObject, old?: KObject): StatusCause[];
}

const DEFAULT_TIMEOUT_MS = 10_000;

export class AdmissionChain {
  private mutating: AdmissionHandler[] = [];
  private validating: AdmissionHandler[] = [];

  register(h: AdmissionHandler): Disposable {
    const list = h.phase === 'mutating' ? this.mutating : this.validating;
    list.push(h);
    return {
      dispose: () => {
        const i = list.indexOf(h);
        if (i >= 0) list.splice(i, 1);
      },
    };
  }

  get size(): number {
    return this.mutating.length + this.validating.length;
  }

  /** Run the chain; returns the object to persist or throws a StatusError. */
  async admit(req: AdmissionRequest, schema: SchemaStep): Promise<KObject> {
    let obj = req.object;
    for (const h of this.mutating) {
      if (h.match && !h.match({ ...req, object: obj })) continue;
      const out = await this.call(h, { ...req, object: obj });
      if (out && typeof out === 'object') obj = out as KObject;
    }
    if (req.operation !== 'DELETE') {
      schema.default(obj);
      const causes = schema.validate(obj, req.oldObject);
      if (causes.length > 0) {
        throw errors.invalid({ group: req.kind.group, resource: req.kind.resource, kind: req.kind.kind }, obj.metadata?.name ?? '', causes);
      }
    }
    for (const h of this.validating) {
      if (h.match && !h.match({ ...req, object: obj })) continue;
      await this.call(h, { ...req, object: obj });
    }
    return obj;
  }

  private async call(h: AdmissionHandler, req: AdmissionRequest): Promise<KObject | void> {
    const timeoutMs = h.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.resolve().then(() => h.handle(req)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs}ms`)), timeoutMs);
        }),
      ]);
    } catch (e) {
      if (isStatusError(e)) throw e;
      if ((h.failurePolicy ?? 'Fail') === 'Ignore') return undefined;
      throw errors.internal(`failed calling admission handler "${h.name}": ${(e as Error).message ?? e}`);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
