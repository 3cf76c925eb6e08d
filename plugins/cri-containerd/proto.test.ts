import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { criProtoRoot, findCriProto, methodCodec } from './proto.ts';

const repoProto = fileURLToPath(new URL('../../proto/cri/api.proto', import.meta.url));

describe('proto/cri/api.proto', () => {
  afterEach(() => {
    delete process.env.SKIFF_CRI_PROTO;
  });

  it('is found above the module (source tree) and beside a bundle in dist/', () => {
    expect(findCriProto()).toBe(repoProto);
    // a bundle at <checkout>/dist/skiff.mjs without a copy beside it falls back to the checkout's
    expect(findCriProto(new URL('../../dist/skiff.mjs', import.meta.url).href)).toBe(repoProto);
    process.env.SKIFF_CRI_PROTO = '/somewhere/api.proto';
    expect(findCriProto()).toBe('/somewhere/api.proto');
  });

  it('has the RPCs the agent uses, each with a working codec', () => {
    const root = criProtoRoot(repoProto);
    const rpcs = (s: string) => Object.keys(root.lookupService(`runtime.v1.${s}`).methods).sort();
    expect(rpcs('RuntimeService')).toEqual([
      'Attach', 'ContainerStats', 'ContainerStatus', 'CreateContainer', 'Exec', 'ExecSync', 'ListContainerStats', 'ListContainers',
      'ListPodSandbox', 'PodSandboxStatus', 'PortForward', 'RemoveContainer', 'RemovePodSandbox', 'ReopenContainerLog',
      'RunPodSandbox', 'StartContainer', 'Status', 'StopContainer', 'StopPodSandbox', 'UpdateContainerResources',
      'UpdateRuntimeConfig', 'Version',
    ]);
    expect(rpcs('ImageService')).toEqual(['ImageFsInfo', 'ImageStatus', 'ListImages', 'PullImage', 'RemoveImage']);
    for (const s of ['RuntimeService', 'ImageService']) for (const m of rpcs(s)) expect(methodCodec(root, s, m).path).toBe(`/runtime.v1.${s}/${m}`);
  });

  it('keeps upstream field numbers and types where they are not sequential', () => {
    const root = criProtoRoot(repoProto);
    const field = (msg: string, name: string) => {
      const f = root.lookupType(`runtime.v1.${msg}`).fields[name]!;
      return `${f.id}:${f.type}`;
    };
    expect(field('LinuxContainerSecurityContext', 'noNewPrivs')).toBe('11:bool');
    expect(field('LinuxContainerSecurityContext', 'runAsGroup')).toBe('12:Int64Value');
    expect(field('LinuxSandboxSecurityContext', 'runAsGroup')).toBe('8:Int64Value');
    expect(field('Namespace', 'options')).toBe('2:NamespaceOption');
    expect(field('ImageSpec', 'userSpecifiedImage')).toBe('18:string');
    expect(field('UpdateContainerResourcesRequest', 'annotations')).toBe('4:string');
    expect(field('ContainerStatus', 'createdAt')).toBe('4:int64');
    expect(field('ContainerStatus', 'exitCode')).toBe('7:int32');
    expect(field('HugepageLimit', 'limit')).toBe('2:uint64');
    expect(field('ExecSyncResponse', 'stdout')).toBe('1:bytes');
  });

  it('encodes camelCase requests with enum names and decodes with zero values present', () => {
    const root = criProtoRoot(repoProto);
    const codec = methodCodec(root, 'RuntimeService', 'ContainerStatus');
    const req = codec.encode({ containerId: 'abc', verbose: true });
    expect(root.lookupType('runtime.v1.ContainerStatusRequest').decode(req).toJSON()).toEqual({ containerId: 'abc', verbose: true });

    const Status = root.lookupType('runtime.v1.ContainerStatusResponse');
    const createdAt = 1_795_361_587_801_010_000; // ns: a double rounds it to 256 ns steps
    const wire = Status.encode(Status.fromObject({ status: { id: 'abc', state: 'CONTAINER_CREATED', createdAt, labels: { a: 'b' } } })).finish();
    // plus field 99 (length-delimited "abc"), which this file does not know, as from a newer runtime: skipped
    const extended = Buffer.concat([Buffer.from(wire), Buffer.from([(99 << 3) | 2, 3, 0x61, 0x62, 0x63])]);
    const decoded = codec.decode(extended) as { status: Record<string, unknown>; info: object };
    expect(decoded.status).toMatchObject({ id: 'abc', state: 'CONTAINER_CREATED', exitCode: 0, startedAt: 0, reason: '', labels: { a: 'b' }, mounts: [], image: null });
    expect(Math.abs((decoded.status.createdAt as number) - createdAt)).toBeLessThanOrEqual(256);
    expect(decoded.info).toEqual({});
  });

  it('reads the root once per file', () => {
    expect(criProtoRoot(repoProto)).toBe(criProtoRoot(join(repoProto)));
  });
});
