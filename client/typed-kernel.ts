// The Kernel with typed kinds: the same calls, taking a TypedRef (PODS, DEPLOYMENTS, ... from
// @skiff/api) and answering that kind's object type — over whichever Kernel it wraps (in-process,
// the kernel bus, RestKernel over REST). No conversion happens: the types describe what the server
// sends; a ref of your own (`{ group, version, resource } as TypedRef<MyKind>`) types a CRD's objects.
import type { KObject as ApiObject, TypedRef } from '@skiff/api';
import type { DeleteOptions, Kernel, KList, KObject, ListOptions, PatchType, WatchEventType, WatchOptions, WriteOptions } from '@skiff/kernel';

export interface TypedList<T> extends Omit<KList, 'items'> {
  items: T[];
}

export interface TypedWatchEvent<T> {
  type: WatchEventType;
  /** the object; for ERROR, a Status */
  object: T;
}

export interface TypedWatch<T> extends AsyncIterable<TypedWatchEvent<T>> {
  stop(): void;
}

export class TypedKernel {
  constructor(readonly kernel: Kernel) {}

  get<T extends ApiObject>(ref: TypedRef<T>, namespace: string | undefined, name: string): Promise<T> {
    return this.kernel.get(ref, namespace, name) as Promise<unknown> as Promise<T>;
  }

  list<T extends ApiObject>(ref: TypedRef<T>, opts?: ListOptions): Promise<TypedList<T>> {
    return this.kernel.list(ref, opts) as Promise<unknown> as Promise<TypedList<T>>;
  }

  create<T extends ApiObject>(ref: TypedRef<T>, obj: T, opts?: WriteOptions): Promise<T> {
    return this.kernel.create(ref, obj as unknown as KObject, opts) as Promise<unknown> as Promise<T>;
  }

  update<T extends ApiObject>(ref: TypedRef<T>, obj: T, opts?: WriteOptions): Promise<T> {
    return this.kernel.update(ref, obj as unknown as KObject, opts) as Promise<unknown> as Promise<T>;
  }

  patch<T extends ApiObject>(ref: TypedRef<T>, namespace: string | undefined, name: string, patchType: PatchType, patch: unknown, opts?: WriteOptions): Promise<T> {
    return this.kernel.patch(ref, namespace, name, patchType, patch, opts) as Promise<unknown> as Promise<T>;
  }

  delete<T extends ApiObject>(ref: TypedRef<T>, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<T> {
    return this.kernel.delete(ref, namespace, name, opts) as Promise<unknown> as Promise<T>;
  }

  watch<T extends ApiObject>(ref: TypedRef<T>, opts?: WatchOptions): TypedWatch<T> {
    return this.kernel.watch(ref, opts) as unknown as TypedWatch<T>;
  }
}
