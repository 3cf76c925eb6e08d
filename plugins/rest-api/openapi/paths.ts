// The operations of every kind at its Kubernetes paths, OpenAPI v3 form: what kubectl reads besides
// the definitions. `kubectl explain` finds a resource's kind through its paths' GVK; kubectl's
// fieldValidation check looks for the `fieldValidation` parameter of the kind's PATCH; `kubectl apply`
// computes a strategic merge patch from the schema only when the PATCH accepts one.
import { DELETE_OPTIONS, PATCH, ref, STATUS, type Schema } from './common.ts';
import type { KindModel } from './model.ts';

const q = (name: string, description: string, schema: Schema = { type: 'string', uniqueItems: true }): Schema => ({ name, in: 'query', description, schema });
const DRY_RUN = q('dryRun', 'When present (All), the request is checked but nothing is persisted.');
const FIELD_MANAGER = q('fieldManager', 'Name of the actor making the change, recorded in managedFields; required for apply.');
const FIELD_VALIDATION = q('fieldValidation', 'What to do with unknown and duplicate fields in the body: Ignore (drop them), Warn (drop them with a warning header, the default) or Strict (fail the request).');
const FORCE = q('force', 'Apply only: take over fields other managers own.', { type: 'boolean', uniqueItems: true });
const PRETTY = q('pretty', 'Indent the output.');
const LIST_PARAMS = [
  q('labelSelector', 'Only objects whose labels match.'),
  q('fieldSelector', 'Only objects whose fields match.'),
  q('resourceVersion', 'Which version of the collection to list or watch from.'),
  q('resourceVersionMatch', 'How resourceVersion applies: Exact or NotOlderThan.'),
  q('limit', 'Largest number of objects in one answer; continue gets the next page.', { type: 'integer', uniqueItems: true }),
  q('continue', 'The token of the next page.'),
  q('watch', 'Stream changes instead of a list.', { type: 'boolean', uniqueItems: true }),
  q('allowWatchBookmarks', 'Let the watch send BOOKMARK events.', { type: 'boolean', uniqueItems: true }),
  q('sendInitialEvents', 'Start a watch with the current objects as ADDED events.', { type: 'boolean', uniqueItems: true }),
  q('timeoutSeconds', 'End the list or watch after this many seconds.', { type: 'integer', uniqueItems: true }),
];
const pathParam = (name: string, description: string): Schema => ({ name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } });

const MEDIA = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const content = (schema: Schema, types = MEDIA): Schema => Object.fromEntries(types.map((t) => [t, { schema }]));
const answer = (code: string, description: string, schema: Schema): Schema => ({ [code]: { description, content: content(schema) } });
const UNAUTHORIZED = { '401': { description: 'Unauthorized' } };

/** The paths of one kind (and of its status subresource), v3 operations keyed by path. */
export function kindPaths(m: KindModel): Record<string, Schema> {
  const { info } = m;
  const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const scope = info.namespaced ? `${base}/namespaces/{namespace}/${info.resource}` : `${base}/${info.resource}`;
  const gvk = { group: info.group, version: info.version, kind: info.kind };
  const obj = ref(m.definition);
  const list = ref(`${m.definition}List`);
  const tag = `${info.group ? info.group.split('.')[0] : 'core'}_${info.version}`;
  const id = (verb: string, suffix = '') => `${verb}${info.namespaced ? 'Namespaced' : ''}${info.kind}${suffix}`;
  const op = (action: string, operationId: string, extra: Schema): Schema => ({
    tags: [tag],
    description: `${action} ${info.kind}`,
    operationId,
    ...extra,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  });
  const verbs = new Set(info.verbs);
  const write = (params: Schema[]): Schema => ({ parameters: params, requestBody: { required: true, content: content(obj, ['*/*']) } });
  const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', ...(m.strategic ? ['application/strategic-merge-patch+json'] : []), 'application/apply-patch+yaml'];
  const patchOp = (suffix: string) =>
    op('patch', id('patch', suffix), {
      parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE],
      requestBody: { required: true, content: content(ref(PATCH), patchTypes) },
      responses: { ...answer('200', 'OK', obj), ...answer('201', 'Created', obj), ...UNAUTHORIZED },
    });

  const collection: Schema = { parameters: [...(info.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : []), PRETTY] };
  if (verbs.has('list')) collection.get = op('list', id('list'), { parameters: LIST_PARAMS, responses: { ...answer('200', 'OK', list), ...UNAUTHORIZED } });
  if (verbs.has('create'))
    collection.post = op('post', id('create'), { ...write([DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION]), responses: { ...answer('200', 'OK', obj), ...answer('201', 'Created', obj), ...answer('202', 'Accepted', obj), ...UNAUTHORIZED } });
  if (verbs.has('deletecollection'))
    collection.delete = op('deletecollection', id('deleteCollection'), { parameters: [...LIST_PARAMS, DRY_RUN], responses: { ...answer('200', 'OK', ref(STATUS)), ...UNAUTHORIZED } });

  const item: Schema = { parameters: [pathParam('name', `name of the ${info.kind}`), ...(collection.parameters as Schema[])] };
  if (verbs.has('get')) item.get = op('get', id('read'), { responses: { ...answer('200', 'OK', obj), ...UNAUTHORIZED } });
  if (verbs.has('update'))
    item.put = op('put', id('replace'), { ...write([DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION]), responses: { ...answer('200', 'OK', obj), ...answer('201', 'Created', obj), ...UNAUTHORIZED } });
  if (verbs.has('patch')) item.patch = patchOp('');
  if (verbs.has('delete'))
    item.delete = op('delete', id('delete'), {
      parameters: [DRY_RUN, q('gracePeriodSeconds', 'Seconds before the object is deleted.', { type: 'integer', uniqueItems: true }), q('propagationPolicy', 'Orphan, Background or Foreground.')],
      requestBody: { content: content(ref(DELETE_OPTIONS), ['*/*']) },
      responses: { ...answer('200', 'OK', obj), ...answer('202', 'Accepted', obj), ...UNAUTHORIZED },
    });

  const paths: Record<string, Schema> = { [scope]: collection, [`${scope}/{name}`]: item };
  if (info.namespaced && verbs.has('list'))
    paths[`${base}/${info.resource}`] = { parameters: [PRETTY], get: op('list', `list${info.kind}ForAllNamespaces`, { parameters: LIST_PARAMS, responses: { ...answer('200', 'OK', list), ...UNAUTHORIZED } }) };
  if (info.subresources.includes('status') && verbs.has('update')) {
    paths[`${scope}/{name}/status`] = {
      parameters: item.parameters,
      get: op('get', id('read', 'Status'), { responses: { ...answer('200', 'OK', obj), ...UNAUTHORIZED } }),
      put: op('put', id('replace', 'Status'), { ...write([DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION]), responses: { ...answer('200', 'OK', obj), ...answer('201', 'Created', obj), ...UNAUTHORIZED } }),
      patch: patchOp('Status'),
    };
  }
  return paths;
}
