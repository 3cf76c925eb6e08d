// The contract writes gRPC's status codes out (so it does not depend on a gRPC library): they must
// be the ones @grpc/grpc-js, which this client passes through, uses.
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { GrpcStatus, grpcCodeName } from '@skiff/node-api';

describe('GrpcStatus of @skiff/node-api', () => {
  it('has every code of @grpc/grpc-js, with the same number and name', () => {
    const fromGrpc = Object.fromEntries(Object.entries(status).filter(([k]) => Number.isNaN(Number(k))));
    expect(GrpcStatus).toEqual(fromGrpc);
    for (const [name, code] of Object.entries(fromGrpc)) expect(grpcCodeName(code as number)).toBe(name);
    expect(grpcCodeName(99)).toBe('CODE_99');
  });
});
