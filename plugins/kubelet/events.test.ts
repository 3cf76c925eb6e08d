import { describe, expect, it } from 'vitest';
import { CriError, GrpcStatus } from '@skiff/node-api';
import { errorMessage, errorString, formatPod, goDuration } from './events.ts';

describe('kubelet event formatting', () => {
  it('prints durations as Go does', () => {
    expect(goDuration(0)).toBe('0s');
    expect(goDuration(812)).toBe('812ms');
    expect(goDuration(1000)).toBe('1s');
    expect(goDuration(1500)).toBe('1.5s');
    expect(goDuration(1234)).toBe('1.234s');
    expect(goDuration(10_000)).toBe('10s');
    expect(goDuration(80_000)).toBe('1m20s');
    expect(goDuration(160_000)).toBe('2m40s');
    expect(goDuration(300_000)).toBe('5m0s');
    expect(goDuration(3_600_000)).toBe('1h0m0s');
    expect(goDuration(7_384_500)).toBe('2h3m4.5s');
    expect(goDuration(1234.9)).toBe('1.234s'); // truncated to the millisecond
  });

  it('prints CRI errors as Go prints gRPC errors; their message is the description', () => {
    const e = new CriError('RuntimeService/RunPodSandbox', GrpcStatus.UNKNOWN, 'failed to setup network for sandbox "abc": plugin type="bridge" failed');
    expect(errorString(e)).toBe('rpc error: code = Unknown desc = failed to setup network for sandbox "abc": plugin type="bridge" failed');
    expect(errorMessage(e)).toBe('failed to setup network for sandbox "abc": plugin type="bridge" failed');
    const nf = new CriError('ImageService/PullImage', GrpcStatus.NOT_FOUND, 'not found');
    expect(errorString(nf)).toBe('rpc error: code = NotFound desc = not found');
    expect(errorString(new Error('configmap "x" not found'))).toBe('configmap "x" not found');
    expect(errorMessage(new Error('configmap "x" not found'))).toBe('configmap "x" not found');
  });

  it('formats a pod as name_namespace(uid)', () => {
    expect(formatPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'ns1', uid: 'u-1' } })).toBe('web_ns1(u-1)');
  });
});
