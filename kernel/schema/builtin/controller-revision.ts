// apps/v1 ControllerRevision: an immutable snapshot of a DaemonSet's or StatefulSet's template
// (`data`, any JSON) and its revision number, the history `kubectl rollout` reads.
import { cause, setDefault, type StatusCause } from '../causes.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { validateInt } from '../validation.ts';
import { S } from '../structural.ts';
import { immutable, objectSchema, safeDefault, safeValidate } from './helpers.ts';

export const controllerRevisionKind: SkiffKindDefinition = {
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  resource: 'controllerrevisions',
  singular: 'controllerrevision',
  namespaced: true,
  specFields: ['data', 'revision'],
  schema: objectSchema({ data: S.any, revision: S.int64 }),
  // revision is an int64 without omitempty: absent means 0
  default: safeDefault((o) => setDefault(o, 'revision', 0)),
  validate: safeValidate((o, old) => {
    const out: StatusCause[] = [];
    if (o.data === undefined || o.data === null) out.push(cause.required('data', 'data is mandatory'));
    out.push(...validateInt(o.revision, 'revision', { min: 0 }));
    if (old) out.push(...immutable(o.data, old.data, 'data'));
    return out;
  }),
};
