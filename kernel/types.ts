// The object model and the one Kernel interface every plugin, in process or over the bus, uses.
// ObjectMeta, OwnerReference, KObject and ResourceRef are defined once, in @skiff/api.
import type { KObject, ResourceRef } from '@skiff/api';

export type { KObject, ObjectMeta, OwnerReference, ResourceRef } from '@skiff/api';

export interface KList<T extends KObject = KObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

/** What the kernel knows about a kind (its registration). */
export interface KindInfo {
  group: string;
  version: string;
  kind: string;
  /** plural, lower case: the path segment ("pods") */
  resource: string;
  singular: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** subresources served, e.g. ["status"] */
  subresources: string[];
  verbs: string[];
  /** a CRD's additionalPrinterColumns (server-side Tables print them) */
  printerColumns?: import('./schema/kind-definition.ts').PrinterColumn[];
  /** a Warning for every request of this version (a deprecated CRD version) */
  deprecationWarning?: string;
  /** a CRD's scale subresource paths */
  scale?: import('./schema/kind-definition.ts').ScalePaths;
}

export interface ListOptions {
  /** undefined = all namespaces (for namespaced kinds) */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** "" = most recent (consistent); "0" = any; otherwise at least this revision */
  resourceVersion?: string;
  /** how a LIST reads `resourceVersion`: NotOlderThan (the default for a number) or Exact (that revision's state) */
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  limit?: number;
  continue?: string;
}

export interface WatchOptions extends ListOptions {
  allowWatchBookmarks?: boolean;
  /** send the current state as ADDED events first (implied by resourceVersion "" or "0") */
  sendInitialEvents?: boolean;
  /** server-side timeout of the watch */
  timeoutSeconds?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KObject;
}

/** A running watch. Iterate it; `stop()` ends the iteration. */
export interface Watch extends AsyncIterable<WatchEvent> {
  stop(): void;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** server-side apply: take over the fields other managers own instead of failing with a conflict */
  force?: boolean;
  /** write the named subresource ("status") instead of the main resource */
  subresource?: string;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface DeleteOptions {
  dryRun?: boolean;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface AdmissionRequest {
  operation: AdmissionOperation;
  kind: KindInfo;
  /** the object as it would be written (for DELETE: the object being deleted) */
  object: KObject;
  oldObject?: KObject;
  subresource?: string;
  dryRun: boolean;
}

/** A mutating handler returns the (possibly changed) object; a validating one returns void. Either throws a StatusError to reject. */
export interface AdmissionHandler {
  name: string;
  phase: 'mutating' | 'validating';
  /** which kinds it sees; omitted = all */
  match?: (req: AdmissionRequest) => boolean;
  timeoutMs?: number;
  failurePolicy?: 'Fail' | 'Ignore';
  handle(req: AdmissionRequest): Promise<KObject | void> | KObject | void;
}

export interface Disposable {
  dispose(): void;
}

/** The microkernel's one interface. */
export interface Kernel {
  get(ref: ResourceRef, namespace: string | undefined, name: string): Promise<KObject>;
  list(ref: ResourceRef, opts?: ListOptions): Promise<KList>;
  create(ref: ResourceRef, obj: KObject, opts?: WriteOptions): Promise<KObject>;
  update(ref: ResourceRef, obj: KObject, opts?: WriteOptions): Promise<KObject>;
  patch(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patch: unknown,
    opts?: WriteOptions,
  ): Promise<KObject>;
  /** Returns the object as deleted, or as marked for deletion when finalizers remain. */
  delete(ref: ResourceRef, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<KObject>;
  watch(ref: ResourceRef, opts?: WatchOptions): Watch;
  /** Kinds served, built-in and registered. */
  kinds(): KindInfo[];
  /** Find a kind by group/version/resource, or throw NotFound. */
  kindFor(ref: ResourceRef): KindInfo;
  registerKind(def: import('./schema/kind-definition.ts').KindDefinition): Disposable;
  /**
   * The schema of a kind's objects (KindDefinition.schema), for API front ends (OpenAPI documents,
   * fieldValidation); undefined when the kind is not served or has none. Optional: a Kernel that
   * cannot tell (an older bus server) leaves it out.
   */
  kindSchema?(ref: ResourceRef): Promise<Record<string, unknown> | undefined>;
  registerAdmission(handler: AdmissionHandler): Disposable;
}
