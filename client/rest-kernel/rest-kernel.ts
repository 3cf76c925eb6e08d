// The Kernel interface over Kubernetes' REST API: what a plugin or a program running outside the
// server (another machine, another language's sidecar, a test) uses to read, write and watch
// objects with the same calls as an in-process plugin — so informers, listers and the controller
// kit of @skiff/client run over it unchanged. Errors are the kernel's StatusError (the server's
// Status, as sent). Registering kinds and admission handlers needs the plugin host: those throw.
import { errors, StatusError, type DeleteOptions, type Disposable, type KindInfo, type KList, type KObject, type Kernel, type ListOptions, type PatchType, type ResourceRef, type Status, type Watch, type WatchEvent, type WatchOptions, type WriteOptions } from '@skiff/kernel';
import { RestClient, StatusError as RestStatusError, type Query, type RestTarget } from '@skiff/client/rest';
import { discoverKinds } from './discovery.ts';

const PATCH_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** The server's answer as the kernel's StatusError (a connection failure is a 503). */
function asKernelError(e: unknown): Error {
  if (e instanceof RestStatusError) return new StatusError(e.status as Status);
  if (e instanceof StatusError) return e;
  return errors.serviceUnavailable((e as Error)?.message ?? String(e));
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asKernelError(e);
  }
}

export interface RestKernelOptions extends RestTarget {
  /** the field manager of writes that name none (kube defaults it from the user agent) */
  fieldManager?: string;
}

export class RestKernel implements Kernel {
  private constructor(
    private readonly client: RestClient,
    private served: KindInfo[],
    private readonly fieldManager: string,
  ) {}

  /** Connects and reads what the server serves (discovery). */
  static async connect(o: RestKernelOptions): Promise<RestKernel> {
    const client = new RestClient(o);
    const kinds = await call(() => discoverKinds(client));
    return new RestKernel(client, kinds, o.fieldManager ?? 'skiff-rest-kernel');
  }

  /** Reads discovery again (after CRDs came or went). */
  async refreshKinds(): Promise<void> {
    this.served = await call(() => discoverKinds(this.client));
  }

  kinds(): KindInfo[] {
    return this.served;
  }

  kindFor(ref: ResourceRef): KindInfo {
    const k = this.served.find((x) => x.group === ref.group && x.version === ref.version && x.resource === ref.resource);
    if (!k) throw errors.noSuchResource(`the server could not find the requested resource (${ref.resource}${ref.group ? '.' + ref.group : ''})`);
    return k;
  }

  /** `/api/v1/namespaces/ns/pods/name/status` for a ref, namespace, name and subresource. */
  private path(ref: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
    const k = this.kindFor(ref);
    let p = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
    if (k.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
    p += `/${k.resource}`;
    if (name !== undefined) p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
    return p;
  }

  private writeQuery(opts: WriteOptions, extra: Query = {}): Query {
    return { ...(opts.dryRun ? { dryRun: 'All' } : {}), fieldManager: opts.fieldManager ?? this.fieldManager, ...extra };
  }

  get(ref: ResourceRef, namespace: string | undefined, name: string): Promise<KObject> {
    return call(() => this.client.get<KObject>(this.path(ref, namespace, name)));
  }

  list(ref: ResourceRef, opts: ListOptions = {}): Promise<KList> {
    return call(() =>
      this.client.get<KList>(this.path(ref, opts.namespace), {
        query: {
          labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector,
          resourceVersion: opts.resourceVersion,
          resourceVersionMatch: opts.resourceVersionMatch,
          limit: opts.limit,
          continue: opts.continue,
        },
      }),
    );
  }

  create(ref: ResourceRef, obj: KObject, opts: WriteOptions = {}): Promise<KObject> {
    const ns = obj?.metadata?.namespace;
    if (opts.subresource) return call(() => this.client.request<KObject>('POST', this.path(ref, ns, obj.metadata.name, opts.subresource), { body: obj, query: this.writeQuery(opts) }));
    return call(() => this.client.request<KObject>('POST', this.path(ref, ns), { body: obj, query: this.writeQuery(opts) }));
  }

  update(ref: ResourceRef, obj: KObject, opts: WriteOptions = {}): Promise<KObject> {
    return call(() => this.client.request<KObject>('PUT', this.path(ref, obj?.metadata?.namespace, obj?.metadata?.name ?? '', opts.subresource), { body: obj, query: this.writeQuery(opts) }));
  }

  patch(ref: ResourceRef, namespace: string | undefined, name: string, patchType: PatchType, patch: unknown, opts: WriteOptions = {}): Promise<KObject> {
    const query = this.writeQuery(opts, patchType === 'apply' && opts.force ? { force: 'true' } : {});
    return call(() =>
      this.client.request<KObject>('PATCH', this.path(ref, namespace, name, opts.subresource), {
        // an apply configuration is YAML, and JSON is YAML
        body: typeof patch === 'string' ? patch : JSON.stringify(patch),
        contentType: PATCH_TYPES[patchType],
        query,
      }),
    );
  }

  delete(ref: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KObject> {
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}),
      ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
      ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
      ...(opts.dryRun ? { dryRun: ['All'] } : {}),
    };
    return call(() => this.client.request<KObject>('DELETE', this.path(ref, namespace, name), { body }));
  }

  /** A watch whose request opens when it is first iterated (the Kernel's watch() returns at once). */
  watch(ref: ResourceRef, opts: WatchOptions = {}): Watch {
    const path = this.path(ref, opts.namespace);
    const query: Query = {
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      resourceVersion: opts.resourceVersion,
      allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
      sendInitialEvents: opts.sendInitialEvents === undefined ? undefined : String(opts.sendInitialEvents),
      timeoutSeconds: opts.timeoutSeconds,
    };
    const client = this.client;
    let stopped = false;
    let stopOpen: (() => void) | undefined;
    async function* events(): AsyncGenerator<WatchEvent> {
      if (stopped) return;
      const w = await call(() => client.watch<KObject>(path, { query, errorEvents: 'yield' }));
      stopOpen = () => w.stop();
      if (stopped) return w.stop();
      try {
        for await (const ev of w) yield ev as WatchEvent;
      } catch (e) {
        if (!stopped) throw asKernelError(e);
      }
    }
    const it = events();
    return {
      [Symbol.asyncIterator]: () => it,
      stop: () => {
        stopped = true;
        stopOpen?.();
        void it.return(undefined);
      },
    };
  }

  registerKind(): Disposable {
    throw errors.methodNotAllowed('kinds are registered by plugins in the server (or through a CustomResourceDefinition), not over REST');
  }

  registerAdmission(): Disposable {
    throw errors.methodNotAllowed('admission handlers are registered by plugins in the server (or over the kernel bus), not over REST');
  }

  /** Closes the connections. */
  close(): Promise<void> {
    return this.client.close();
  }
}
