// The apimachinery definitions every kind's OpenAPI refers to (ObjectMeta, Time, Quantity, ...), in
// OpenAPI v3 form, under the names Kubernetes publishes them with so kubectl finds them. The
// descriptions are Skiff's own.
export type Schema = Record<string, unknown>;

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
export const OBJECT_META = `${META}ObjectMeta`;
export const LIST_META = `${META}ListMeta`;
export const TIME = `${META}Time`;
export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const PATCH = `${META}Patch`;
export const STATUS = `${META}Status`;
export const DELETE_OPTIONS = `${META}DeleteOptions`;

/** A reference to a definition (v3 form; the v2 writer rewrites the prefix). */
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
/** A field of a named type: kube wraps the reference in allOf so the field keeps its own description. */
export const refField = (name: string, description?: string): Schema => ({ ...(description ? { description } : {}), allOf: [ref(name)] });

const str = (description: string): Schema => ({ type: 'string', description });
const strMap = (description: string): Schema => ({ type: 'object', additionalProperties: { type: 'string' }, description });

export const COMMON_DEFINITIONS: Record<string, Schema> = {
  [TIME]: { type: 'string', format: 'date-time', description: 'A point in time, RFC 3339 in UTC, to the second (2006-01-02T15:04:05Z).' },
  [`${META}MicroTime`]: { type: 'string', format: 'date-time', description: 'A point in time with microseconds (2006-01-02T15:04:05.000000Z).' },
  [QUANTITY]: {
    oneOf: [{ type: 'string' }, { type: 'number' }],
    description: 'An amount with a unit suffix: 100m (a tenth of a CPU), 128Mi (binary), 1G (decimal), 1e3.',
  },
  [INT_OR_STRING]: {
    oneOf: [{ type: 'integer' }, { type: 'string' }],
    format: 'int-or-string',
    description: 'A number or a string: a port number or a port name, a count or a percentage ("25%").',
  },
  [`${META}FieldsV1`]: { type: 'object', description: 'The set of fields a manager owns, as a tree of f:, k:, v: and i: keys.' },
  [`${META}OwnerReference`]: {
    type: 'object',
    description: 'An object this one belongs to: the garbage collector deletes this one once its owners are gone.',
    required: ['apiVersion', 'kind', 'name', 'uid'],
    properties: {
      apiVersion: str('API version of the owner.'),
      kind: str('Kind of the owner.'),
      name: str('Name of the owner (same namespace as this object).'),
      uid: str('UID of the owner: a re-created owner of the same name is another owner.'),
      controller: { type: 'boolean', description: 'Whether the owner is the managing controller; at most one owner is.' },
      blockOwnerDeletion: { type: 'boolean', description: 'With foreground deletion, the owner is not removed before this object is.' },
    },
    'x-kubernetes-map-type': 'atomic',
  },
  [`${META}ManagedFieldsEntry`]: {
    type: 'object',
    description: 'The fields one manager set, by one operation, at one API version (server-side apply bookkeeping).',
    properties: {
      manager: str('Who manages these fields (the fieldManager of the writes).'),
      operation: str('Apply or Update: the kind of write that set the fields.'),
      apiVersion: str('API version the fields are expressed in.'),
      time: refField(TIME, 'When the entry last changed.'),
      fieldsType: str('Format of fieldsV1: always "FieldsV1".'),
      fieldsV1: refField(`${META}FieldsV1`, 'The fields owned.'),
      subresource: str('The subresource written ("status", "scale"), or empty for the object itself.'),
    },
  },
  [OBJECT_META]: {
    type: 'object',
    description: 'Metadata every stored object carries: name, namespace, labels, annotations, and what the server records (uid, versions, timestamps, owners).',
    properties: {
      name: str('Name of the object, unique in its namespace (or the cluster) for its kind. Cannot be changed.'),
      generateName: str('A prefix the server completes with random characters to make a name, when name is not given.'),
      namespace: str('Namespace the object lives in; empty for cluster-scoped kinds. Cannot be changed.'),
      selfLink: str('Deprecated: not set.'),
      uid: str('Unique id of this object for all time, set by the server.'),
      resourceVersion: str('Version of the object, changed by every write; an update naming an old one is refused (409).'),
      generation: { type: 'integer', format: 'int64', description: 'Sequence number of changes to the desired state (spec), set by the server.' },
      creationTimestamp: refField(TIME, 'When the object was created, set by the server.'),
      deletionTimestamp: refField(TIME, 'When deletion was requested; the object goes once its finalizers are done. Set by the server.'),
      deletionGracePeriodSeconds: { type: 'integer', format: 'int64', description: 'Seconds the object was given to terminate gracefully.' },
      labels: strMap('Key/value pairs that selectors (of Services, Deployments, kubectl -l) match on.'),
      annotations: strMap('Key/value pairs for tools and people; not matched by selectors.'),
      ownerReferences: {
        type: 'array',
        description: 'Objects this one depends on; it is garbage collected when they are all gone.',
        items: ref(`${META}OwnerReference`),
        'x-kubernetes-patch-merge-key': 'uid',
        'x-kubernetes-patch-strategy': 'merge',
      },
      finalizers: {
        type: 'array',
        description: 'Names of the cleanups that must finish (and remove their entry) before the object is deleted.',
        items: { type: 'string' },
        'x-kubernetes-patch-strategy': 'merge',
      },
      managedFields: { type: 'array', description: 'Which manager set which fields (server-side apply).', items: ref(`${META}ManagedFieldsEntry`) },
    },
  },
  [LIST_META]: {
    type: 'object',
    description: 'Metadata of a list: its resourceVersion (to watch from) and the token of the next page.',
    properties: {
      resourceVersion: str('Version of the list: watch from it to see every change after.'),
      continue: str('Token of the next page (pass as continue=); empty on the last page.'),
      remainingItemCount: { type: 'integer', format: 'int64', description: 'How many items the pages after this one hold, when known.' },
      selfLink: str('Deprecated: not set.'),
    },
  },
  [PATCH]: { type: 'object', description: 'A patch body: a JSON patch, a merge patch, a strategic merge patch or an apply configuration.' },
  [STATUS]: {
    type: 'object',
    description: 'The result of an operation that returns no object, and every error.',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: refField(LIST_META),
      status: str('Success or Failure.'),
      message: str('What happened, for people.'),
      reason: str('Why, for programs (NotFound, AlreadyExists, Conflict, Invalid, ...).'),
      details: { type: 'object', description: 'The object concerned and, for Invalid, the fields at fault (causes).' },
      code: { type: 'integer', format: 'int32', description: 'HTTP status code.' },
    },
  },
  [DELETE_OPTIONS]: {
    type: 'object',
    description: 'How to delete: grace period, preconditions, what happens to dependents.',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      gracePeriodSeconds: { type: 'integer', format: 'int64', description: 'Seconds before the object is deleted; 0 deletes at once.' },
      preconditions: { type: 'object', description: 'uid and resourceVersion the object must still have.', properties: { uid: { type: 'string' }, resourceVersion: { type: 'string' } } },
      propagationPolicy: str('Orphan, Background or Foreground: what happens to the objects this one owns.'),
      orphanDependents: { type: 'boolean', description: 'Deprecated: propagationPolicy=Orphan.' },
      dryRun: { type: 'array', items: { type: 'string' }, description: 'All: check the request, change nothing.' },
    },
  },
};
