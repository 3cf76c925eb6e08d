// What every node protocol here shares (CRI, CSI, device plugins are gRPC services): how requests and
// answers are shaped in TypeScript, and the options of one call. Messages are the .proto messages
// camelCased, as protobufjs decodes them with {defaults: true}: every scalar, list and map present
// (proto3 cannot tell zero from unset), an absent sub-message `null`, int64 as number, enums by name,
// bytes as Uint8Array.

/** A request: any field may be left out (proto3 zero value). */
export type Input<T> = T extends Uint8Array
  ? T
  : T extends readonly (infer U)[]
    ? Input<U>[]
    : T extends object
      ? { [K in keyof T]?: Input<NonNullable<T[K]>> | null }
      : T;

export interface CallOptions {
  /** deadline for this call in ms (default: the implementation's; 0 = none) */
  timeoutMs?: number;
  /** cancels the call (it then fails with CANCELLED) */
  signal?: AbortSignal;
}
