import { describe, expect, it } from 'vitest';
import { expandCommandAndArgs, makeEnvironmentVariables } from './env.ts';
import { ContainerConfigError } from './errors.ts';
import { staticObjectReader, type ObjectReader } from './object-reader.ts';
import { configMap, mkPod, secret } from './testing.ts';
import type { Container, PodEvent } from './types.ts';

const objects = [
  configMap('cfg', { LOG_LEVEL: 'debug', MODE: 'fast', '1bad': 'x', 'has space': 'y' }),
  configMap('other', { MODE: 'slow', EXTRA: 'e' }),
  secret('creds', { USER: 'admin', PASSWORD: 'p@ss' }),
  configMap('cfg', { LOG_LEVEL: 'from another namespace' }, 'ns2'),
];
const reader = staticObjectReader(objects);

async function env(container: Partial<Container>, opts: { reader?: ObjectReader; events?: PodEvent[] } = {}, podOpts: Parameters<typeof mkPod> = [{}]) {
  const c: Container = { name: 'app', ...container };
  const pod = mkPod({ ...podOpts[0], containers: [c] }, podOpts[1], podOpts[2]);
  const list = await makeEnvironmentVariables(pod, c, {
    reader: opts.reader ?? reader,
    recorder: (e) => opts.events?.push(e),
    podIPs: ['10.0.0.7'],
    hostIPs: ['192.168.0.1'],
    nodeAllocatable: { cpu: '2', memory: '4Gi' },
  });
  return list;
}
const asObj = (l: { key: string; value: string }[]) => Object.fromEntries(l.map((e) => [e.key, e.value]));

describe('makeEnvironmentVariables', () => {
  it('envFrom: configMap and secret keys, with prefixes; invalid names skipped and reported', async () => {
    const events: PodEvent[] = [];
    const l = await env({ envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'creds' }, prefix: 'DB_' }] }, { events });
    expect(l).toEqual([
      { key: 'LOG_LEVEL', value: 'debug' },
      { key: 'MODE', value: 'fast' },
      { key: 'DB_USER', value: 'admin' },
      { key: 'DB_PASSWORD', value: 'p@ss' },
    ]);
    expect(events).toEqual([
      {
        type: 'Warning',
        reason: 'InvalidEnvironmentVariableNames',
        message: 'Keys [1bad, has space] from the EnvFrom configMap ns1/cfg were skipped since they are considered invalid environment variable names.',
      },
    ]);
    // a prefix can make a key valid
    expect(asObj(await env({ envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'P_' }] }))['P_1bad']).toBe('x');
  });

  it('later sources override earlier ones; env overrides envFrom; a name keeps its first position', async () => {
    const l = await env({
      envFrom: [{ configMapRef: { name: 'cfg' } }, { configMapRef: { name: 'other' } }],
      env: [{ name: 'A', value: '1' }, { name: 'LOG_LEVEL', value: 'info' }, { name: 'A', value: '2' }],
    });
    expect(l).toEqual([
      { key: 'LOG_LEVEL', value: 'info' },
      { key: 'MODE', value: 'slow' },
      { key: 'EXTRA', value: 'e' },
      { key: 'A', value: '2' },
    ]);
  });

  it('expands $(VAR) against what came before only; $$ escapes; unknown stays literal', async () => {
    const l = asObj(
      await env({
        envFrom: [{ configMapRef: { name: 'cfg' } }],
        env: [
          { name: 'FIRST', value: 'x-$(SECOND)' }, // SECOND not defined yet
          { name: 'SECOND', value: 'two' },
          { name: 'LEVEL', value: 'lvl=$(LOG_LEVEL)' }, // from envFrom
          { name: 'THIRD', value: '$(SECOND)/$(FIRST)' },
          { name: 'ESC', value: '$$(SECOND) $$$(SECOND)' },
          { name: 'NOPE', value: '$(UNDEFINED)' },
          { name: 'SELF', value: 'a' },
          { name: 'SELF', value: '$(SELF)b' },
          { name: 'EMPTY', value: '' },
          { name: 'FROM_EMPTY', value: '[$(EMPTY)]' },
        ],
      }),
    );
    expect(l).toMatchObject({
      FIRST: 'x-$(SECOND)',
      SECOND: 'two',
      LEVEL: 'lvl=debug',
      THIRD: 'two/x-$(SECOND)',
      ESC: '$(SECOND) $two',
      NOPE: '$(UNDEFINED)',
      SELF: 'ab',
      EMPTY: '',
      FROM_EMPTY: '[]',
    });
  });

  it('valueFrom: field and resource refs, configMap and secret keys; valueFrom results are not expanded', async () => {
    const l = asObj(
      await env(
        {
          resources: { requests: { cpu: '250m' }, limits: { memory: '64Mi' } },
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
            { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
            { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
            { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
            { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
            { name: 'HOST_IPS', valueFrom: { fieldRef: { fieldPath: 'status.hostIPs' } } },
            { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
            { name: 'CPU_LIM', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }, // node allocatable
            { name: 'MEM_LIM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
            { name: 'MEM_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.memory' } } },
            { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LOG_LEVEL' } } },
            { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
            { name: 'LITERAL', valueFrom: { configMapKeyRef: { name: 'lit', key: 'k' } } },
          ],
        },
        { reader: staticObjectReader([...objects, configMap('lit', { k: '$(POD_NAME)' })]) },
        [{ nodeName: 'node-a', serviceAccountName: 'default' }, { labels: { app: 'shop' }, annotations: { note: 'hi' } }],
      ),
    );
    expect(l).toEqual({
      POD_NAME: 'web',
      NS: 'ns1',
      UID: 'uid-1234',
      APP: 'shop',
      NOTE: 'hi',
      NODE: 'node-a',
      SA: 'default',
      POD_IP: '10.0.0.7',
      POD_IPS: '10.0.0.7',
      HOST_IP: '192.168.0.1',
      HOST_IPS: '192.168.0.1',
      CPU_REQ: '250',
      CPU_LIM: '2',
      MEM_LIM: '64',
      MEM_REQ: '0',
      LEVEL: 'debug',
      PW: 'p@ss',
      LITERAL: '$(POD_NAME)',
    });
  });

  it('optional references are skipped when the object or the key is missing', async () => {
    const l = await env({
      envFrom: [{ configMapRef: { name: 'absent', optional: true } }, { secretRef: { name: 'absent', optional: true } }],
      env: [
        { name: 'A', valueFrom: { configMapKeyRef: { name: 'absent', key: 'x', optional: true } } },
        { name: 'B', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'absent', optional: true } } },
        { name: 'C', valueFrom: { secretKeyRef: { name: 'creds', key: 'absent', optional: true } } },
        { name: 'D', valueFrom: { secretKeyRef: { name: 'absent', key: 'x', optional: true } } },
        { name: 'E', value: 'e' },
      ],
    });
    expect(l).toEqual([{ key: 'E', value: 'e' }]);
  });

  it('missing required references fail with kube messages (CreateContainerConfigError)', async () => {
    const fail = (c: Partial<Container>) => env(c).then(() => undefined, (e: unknown) => e as ContainerConfigError);
    const cases: [Partial<Container>, string][] = [
      [{ envFrom: [{ configMapRef: { name: 'x' } }] }, 'configmap "x" not found'],
      [{ envFrom: [{ secretRef: { name: 'x' } }] }, 'secret "x" not found'],
      [{ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'x', key: 'y' } } }] }, 'configmap "x" not found'],
      [{ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'y' } } }] }, "couldn't find key y in ConfigMap ns1/cfg"],
      [{ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'x', key: 'y' } } }] }, 'secret "x" not found'],
      [{ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'creds', key: 'y' } } }] }, "couldn't find key y in Secret ns1/creds"],
      [{ env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.containers' } } }] }, 'field label not supported: spec.containers'],
      [{ env: [{ name: 'A', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }] }, 'unsupported container resource : limits.gpu'],
    ];
    for (const [c, msg] of cases) {
      const err = await fail(c);
      expect(err, msg).toBeInstanceOf(ContainerConfigError);
      expect(err!.message).toBe(msg);
      expect(err!.reason).toBe('CreateContainerConfigError');
    }
  });

  it('reads from the pod namespace only, and each object once', async () => {
    const reads: string[] = [];
    const counting: ObjectReader = { get: (k, ns, n) => (reads.push(`${k}/${ns}/${n}`), reader.get(k, ns, n)) };
    const l = await env(
      {
        envFrom: [{ configMapRef: { name: 'cfg' } }],
        env: [
          { name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LOG_LEVEL' } } },
          { name: 'Y', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'MODE', optional: true } } }, // ns1's cfg has MODE, ns2's not
        ],
      },
      { reader: counting },
      [{}, { namespace: 'ns2' }],
    );
    expect(asObj(l)).toEqual({ LOG_LEVEL: 'from another namespace', X: 'from another namespace' });
    expect(reads).toEqual(['ConfigMap/ns2/cfg']);
  });

  it('wraps reader failures as config errors', async () => {
    const broken: ObjectReader = { get: async () => Promise.reject(new Error('bus timeout')) };
    await expect(env({ envFrom: [{ configMapRef: { name: 'cfg' } }] }, { reader: broken })).rejects.toMatchObject({ name: 'ContainerConfigError', message: 'bus timeout' });
  });
});

describe('expandCommandAndArgs', () => {
  it('expands command and args with the final env', () => {
    const out = expandCommandAndArgs(
      { name: 'a', command: ['sh', '-c', 'echo $(GREETING) $$(GREETING)'], args: ['$(MISSING)', '--name=$(NAME)'] },
      [{ key: 'GREETING', value: 'hi' }, { key: 'NAME', value: 'n' }],
    );
    expect(out).toEqual({ command: ['sh', '-c', 'echo hi $(GREETING)'], args: ['$(MISSING)', '--name=n'] });
    expect(expandCommandAndArgs({ name: 'a' }, [])).toEqual({ command: [], args: [] });
  });
});
