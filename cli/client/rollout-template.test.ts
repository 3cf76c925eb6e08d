import { describe, expect, it } from 'vitest';
import { describePodTemplate, describeProbe } from './rollout-template.ts';

describe('describePodTemplate', () => {
  it('writes a minimal template as kubectl describe does, tabs and all', () => {
    const t = { metadata: { labels: { app: 'web', 'pod-template-hash': '5d4f' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } };
    expect(describePodTemplate(t)).toBe(
      [
        'Pod Template:',
        '  Labels:\tapp=web',
        '\tpod-template-hash=5d4f',
        '  Containers:',
        '   web:',
        '    Image:\tnginx:1.27',
        '    Port:\t<none>',
        '    Host Port:\t<none>',
        '    Environment:\t<none>',
        '    Mounts:\t<none>',
        '  Volumes:\t<none>',
        '  Node-Selectors:\t<none>',
        '  Tolerations:\t<none>',
        '',
      ].join('\n'),
    );
  });

  it('annotations (not last-applied), ports, commands, resources, probes, env, mounts, volumes, selectors and tolerations', () => {
    const t = {
      metadata: { labels: {}, annotations: { 'kubernetes.io/change-cause': 'kubectl set image', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
      spec: {
        serviceAccountName: 'runner',
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sh', '-c'],
            args: ['echo hi\nsleep 1'],
            ports: [
              { containerPort: 80, protocol: 'TCP' },
              { containerPort: 53, hostPort: 5353, protocol: 'UDP' },
            ],
            resources: { limits: { memory: '64Mi', cpu: '500m' }, requests: { cpu: '100m' } },
            livenessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
            readinessProbe: { exec: { command: ['cat', '/ready'] }, initialDelaySeconds: 5 },
            env: [{ name: 'A', value: 'one' }, { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
            volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'cfg', mountPath: '/etc/cfg', readOnly: true, subPath: 'x' }],
          },
        ],
        volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'settings' } }],
        nodeSelector: { disk: 'ssd' },
        tolerations: [{ key: 'b', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }, { key: 'a', operator: 'Equal', value: 'x', effect: 'NoSchedule' }],
      },
    };
    expect(describePodTemplate(t)).toBe(
      [
        'Pod Template:',
        '  Labels:\t<none>',
        '  Annotations:\tkubernetes.io/change-cause: kubectl set image',
        '  Service Account:\trunner',
        '  Containers:',
        '   app:',
        '    Image:\tbusybox',
        '    Ports:\t80/TCP, 53/UDP',
        '    Host Ports:\t0/TCP, 5353/UDP',
        '    Command:',
        '      sh',
        '      -c',
        '    Args:',
        '      echo hi',
        '      sleep 1',
        '    Limits:',
        '      cpu:\t500m',
        '      memory:\t64Mi',
        '    Requests:',
        '      cpu:\t100m',
        '    Liveness:\thttp-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3',
        '    Readiness:\texec [cat /ready] delay=5s timeout=0s period=0s #success=0 #failure=0',
        '    Environment:',
        '      A:\tone',
        '      POD:\t (v1:metadata.name)',
        '    Mounts:',
        '      /data from data (rw)',
        '      /etc/cfg from cfg (ro,path="x")',
        '  Volumes:',
        '   data:',
        "    Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)",
        '    Medium:\t',
        '    SizeLimit:\t<unset>',
        '   cfg:',
        '    Type:\tConfigMap (a volume populated by a ConfigMap)',
        '    Name:\tsettings',
        '    Optional:\tfalse',
        '  Node-Selectors:\tdisk=ssd',
        '  Tolerations:\ta=x:NoSchedule',
        '\tb:NoExecute op=Exists for 30s',
        '',
      ].join('\n'),
    );
  });

  it('a long annotation goes on its own lines, cut at 138 characters', () => {
    const long = 'x'.repeat(200);
    const out = describePodTemplate({ metadata: { annotations: { note: long } }, spec: { containers: [] } });
    expect(out).toContain(`  Annotations:\tnote:\n\t  ${'x'.repeat(138)}...\n  Containers: <none>\n`);
  });

  it('no template at all', () => {
    expect(describePodTemplate(undefined)).toBe('Pod Template:\n  <unset>');
  });
});

describe('describeProbe', () => {
  it('tcp and grpc probes', () => {
    expect(describeProbe({ tcpSocket: { port: 'db' }, timeoutSeconds: 1 })).toBe('tcp-socket :db delay=0s timeout=1s period=0s #success=0 #failure=0');
    expect(describeProbe({ grpc: { port: 9000, service: '' } })).toBe('grpc <pod>:9000  delay=0s timeout=0s period=0s #success=0 #failure=0');
  });
});
