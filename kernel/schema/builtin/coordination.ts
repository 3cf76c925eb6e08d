// coordination.k8s.io/v1 Lease.
import { asObj, cause, type StatusCause } from '../causes.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { validateEnum, validateInt } from '../validation.ts';
import { objectSchema, safeValidate, sel, structure } from './helpers.ts';

const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

const leaseProps = {
  spec: S.obj({
    holderIdentity: S.str,
    leaseDurationSeconds: S.int,
    acquireTime: S.str,
    renewTime: S.str,
    leaseTransitions: S.int,
    strategy: S.str,
    preferredHolder: S.str,
  }),
};

export const leaseKind: SkiffKindDefinition = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  resource: 'leases',
  singular: 'lease',
  namespaced: true,
  schema: objectSchema(leaseProps),
  validate: safeValidate((o) => {
    const out: StatusCause[] = structure(o, leaseProps);
    const spec = asObj(o.spec);
    if (!spec) return out;
    const d = spec.leaseDurationSeconds;
    if (typeof d === 'number' && d <= 0) out.push(cause.invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
    out.push(...validateInt(spec.leaseTransitions, 'spec.leaseTransitions', { min: 0 }));
    for (const f of ['acquireTime', 'renewTime'])
      if (typeof spec[f] === 'string' && !MICRO_TIME.test(spec[f] as string))
        out.push(cause.invalid(`spec.${f}`, spec[f], 'must be an RFC 3339 time with microseconds (e.g. 2006-01-02T15:04:05.000000Z)'));
    out.push(...validateEnum(spec.strategy, 'spec.strategy', ['OldestEmulationVersion']));
    if (spec.preferredHolder && !spec.strategy) out.push(cause.forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
    return out;
  }),
  selectableFields: { 'spec.holderIdentity': sel('spec', 'holderIdentity') },
};
