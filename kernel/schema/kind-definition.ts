// How a kind is described to the kernel: its names, scope, and how objects of it are defaulted and
// validated. Built-in kinds and CRD-style additions use the same shape.
import type { KObject } from '../types.ts';
import type { StatusCause } from '../status.ts';

/**
 * Objects a plugin serves from its own memory instead of the store, as Kubernetes' aggregated APIs
 * (metrics.k8s.io from metrics-server): read-only (get and list; the kernel applies label and field
 * selectors), never written, stored or watched. Functions: only an in-process plugin can serve a kind.
 * Both return fresh objects: the caller may keep and change them.
 */
export interface ServedObjects {
  /** the object, or undefined (404) */
  get(namespace: string | undefined, name: string): KObject | undefined;
  /** every object, or those of one namespace */
  list(namespace: string | undefined): Iterable<KObject>;
}

/** apiextensions' CustomResourceColumnDefinition. */
export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** apiextensions' CustomResourceSubresourceScale: JSON paths (`.spec.replicas`) into the object. */
export interface ScalePaths {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface KindDefinition {
  group: string;
  version: string;
  kind: string;
  /** plural resource name, lower case */
  resource: string;
  singular?: string;
  /** default: kind + "List" */
  listKind?: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** false: no DELETE of the whole collection (namespaces, as kube serves them); default true */
  deleteCollection?: boolean;
  /** subresources served besides the main one; "status" splits spec and status writes */
  subresources?: string[];
  /**
   * Fields whose change bumps metadata.generation. Default: everything outside metadata and status
   * (Kubernetes bumps generation on spec changes only).
   */
  specFields?: string[];
  /** Keep `status` given on create (Node: the node posts its status with the create). Default: cleared when a status subresource exists. */
  keepStatusOnCreate?: boolean;
  /**
   * The version objects are stored as, when the kind is served in several versions over one store
   * (a CRD's versions, conversion None): writes store this apiVersion, reads of this definition's
   * version rewrite it. Unset: the definition's own version.
   */
  storageVersion?: string;
  /** Stored encrypted at rest (Secret). */
  encrypted?: boolean;
  /**
   * The structural schema (OpenAPI v3 subset, as JSON) of the kind's whole object: apiVersion, kind,
   * metadata (ObjectMeta, schema/patch-meta.ts's objectSchema adds them) and the kind's own fields,
   * with Kubernetes' patch metadata (x-kubernetes-patch-strategy / -patch-merge-key, -list-type /
   * -list-map-keys, -map-type; see schema/patch-meta.ts).
   * - Strategic merge patch and server-side apply follow its patch metadata. Without a schema: maps
   *   merge, lists are replaced whole (atomic).
   * - Published as OpenAPI (kubectl explain; kubectl's client-side apply reads the same patch
   *   metadata from it); the front ends publish metadata as apimachinery's ObjectMeta.
   * - An object schema with `properties` lists every field its objects may carry (unknown fields are
   *   reported by fieldValidation); one without `properties` or `additionalProperties` is open.
   */
  schema?: Record<string, unknown>;
  /** Fill in defaults, in place. Runs after mutating admission. */
  default?(obj: KObject): void;
  /** Schema and semantic checks; an empty list means valid. `old` is set on update. */
  validate?(obj: KObject, old?: KObject): StatusCause[];
  /** How objects of this kind are deleted (Kubernetes' delete strategy); default: at once, when no finalizers remain. */
  deletion?: {
    /** finalizers besides metadata.finalizers that hold the object (Namespace: spec.finalizers) */
    extraFinalizers?(obj: KObject): string[];
    /** seconds the object stays marked for deletion before it goes (a Pod on a node); 0: at once */
    gracePeriodSeconds?(obj: KObject, requested: number | undefined): number;
    /** change the object as it is marked for deletion (Namespace: phase Terminating) */
    onMarked?(obj: KObject): void;
  };
  /** Sent as a Warning with every request of this version (a CRD version marked deprecated). */
  deprecationWarning?: string;
  /** Columns of `kubectl get` (server-side Tables) from JSONPaths: a CRD's additionalPrinterColumns. */
  printerColumns?: PrinterColumn[];
  /** Where a scale subresource finds its numbers (a CRD's subresources.scale); default spec.replicas, status.replicas, spec.selector. */
  scale?: ScalePaths;
  /** Served from memory by a plugin (read-only: verbs get and list), not stored. */
  served?: ServedObjects;
  /**
   * A review (SelfSubjectAccessReview, ...): the only verb is `create`, answered by the API front end
   * for the requesting user (the kernel does not know who asks); never stored.
   */
  review?: boolean;
  /** Field selectors beyond metadata.name / metadata.namespace: field path -> value getter. */
  selectableFields?: Record<string, (obj: KObject) => string | undefined>;
}
