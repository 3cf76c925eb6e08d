// Types of guest-host.mjs (plain JS, shared with the worker thread).
export const OP_CONFIGURE: 1, OP_FILTER: 2, OP_SCORE: 3, OP_VALIDATE: 4, OP_MUTATE: 5, OP_UPDATE_NODES: 6, OP_FILTER_SCORE: 7;

export interface GuestAnswer {
  /** 0 ok, 1 guest error (trap, thrown error, rejected config), 2 host error */
  kind: 0 | 1 | 2;
  json: Record<string, unknown>;
  payload?: Uint8Array;
}

export interface Guest {
  call(op: number, req: Record<string, unknown>, slots?: Uint32Array): GuestAnswer;
  exports(): string[];
  readonly instances: number;
  /** whether the hot calls skip jco's glue (direct-abi.mjs) */
  readonly direct: boolean;
}

export function createGuest(
  instantiate: (getCoreModule: (name: string) => unknown, imports: object, instantiateCore?: (m: unknown, i: Record<string, Record<string, unknown>>) => unknown) => unknown,
  modules: Record<string, unknown>,
  instantiateCore?: (m: unknown, i: Record<string, Record<string, unknown>> | undefined) => unknown,
  beforeInstantiate?: () => void,
  options?: { direct?: boolean },
): Guest;
