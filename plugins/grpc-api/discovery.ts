// skiff.v1.Discovery: the kinds the kernel serves (what kubectl api-resources lists), for any
// authenticated caller the authorizer lets read them (a non-resource `get` of the method's path).
import type { sendUnaryData, ServerUnaryCall, ServiceError, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Kernel } from '@skiff/kernel';
import { bearerToken, nonResourceAttributes, type ApiGate } from '@skiff/client/api-frontend';
import type protobuf from 'protobufjs';

export const LIST_KINDS_PATH = '/skiff.v1.Discovery/ListKinds';

export function discoveryService(o: { kernel: Kernel; gate: ApiGate; root: protobuf.Root; toServiceError: (e: unknown) => Partial<ServiceError> }): UntypedServiceImplementation {
  const KindList = o.root.lookupType('skiff.v1.KindList');
  return {
    ListKinds: (call: ServerUnaryCall<unknown, Buffer>, cb: sendUnaryData<Buffer>) => {
      (async () => {
        const user = o.gate.authenticate(bearerToken(call.metadata.get('authorization')[0]));
        await o.gate.authorize(nonResourceAttributes(user, 'GET', LIST_KINDS_PATH));
        const kinds = o.kernel.kinds().map((k) => ({
          group: k.group,
          version: k.version,
          kind: k.kind,
          resource: k.resource,
          singular: k.singular,
          listKind: k.listKind,
          namespaced: k.namespaced,
          shortNames: k.shortNames,
          categories: k.categories,
          subresources: k.subresources,
          verbs: k.verbs,
        }));
        const u = KindList.encode(KindList.fromObject({ kinds })).finish();
        return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
      })().then(
        (b) => cb(null, b),
        (e) => cb(o.toServiceError(e) as ServiceError),
      );
    },
  };
}
