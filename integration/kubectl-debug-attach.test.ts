// Pod streams through a real node: `skiff server` and `skiff agent` on this machine's containerd
// (under the host lock: host-node.ts), driven by kubectl 1.32 and 1.20 — `kubectl run -i --rm`
// (the pod's stdin through attach, then its deletion), `kubectl debug -i --target` (an ephemeral
// container in the running pod, seeing the target's processes), `kubectl cp` both ways and
// `kubectl exec -i`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../scripts/test-parts.ts';
import { HOST_NODE_START_MS, HOST_NODE_STOP_MS, HostNode } from './host-node.ts';
import { until } from './kubectl-client.ts';

const NODE = `debug-test-${process.pid}`;
const KUBECTL_132 = process.env.SKIFF_KUBECTL_132 ?? '/usr/bin/kubectl';
const KUBECTL_120 = process.env.SKIFF_KUBECTL_120;
const host = new HostNode({ name: 'debug-attach', nodeName: NODE });
const kubectl = (...args: string[]) => host.kubectl(...args);

/** kubectl with stdin (the helper's kubectl has none), asynchronous: the pod's streams need the event loop of nobody here, but kubectl may take a while */
const kubectlIn = (bin: string, args: string[], input: string, timeoutMs = 90_000) =>
  new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    const child = spawn(bin, ['--kubeconfig', host.skiff.kubeconfig, '--cache-dir', join(host.home, `cache-${bin === KUBECTL_132 ? '132' : '120'}-in`), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    child.stdin.end(input);
  });

describeNeeding(['root', 'containerd'], 'kubectl run -i --rm, debug, cp, exec -i on a real node', (missing) => {
  beforeAll(async () => {
    if (missing()) return;
    await host.start();
    host.apply(`apiVersion: v1
kind: Pod
metadata:
  name: target
spec:
  terminationGracePeriodSeconds: 1
  nodeName: ${NODE}
  containers:
  - name: app
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "exec sleep 3600"]
`);
    await until(() => kubectl('get', 'pod', 'target', '-o', 'jsonpath={.status.phase}').out === 'Running', 'the target pod to run', 90_000);
  }, HOST_NODE_START_MS);

  afterAll(() => host.stop(() => kubectl('delete', 'pod', 'target', 'rt132', 'rt120', '--ignore-not-found', '--grace-period=0', '--force')), HOST_NODE_STOP_MS);

  it.each([
    ['1.32', 'rt132'],
    ['1.20', 'rt120'],
  ])('kubectl %s run -i --rm: stdin reaches the pod\'s process through attach, its answer comes back, the pod is deleted', async (version, name) => {
    const bin = version === '1.32' ? KUBECTL_132 : KUBECTL_120!;
    const r = await kubectlIn(bin, [
      'run', name, '--image=busybox', '--image-pull-policy=IfNotPresent', '--restart=Never', '-i', '--rm', `--overrides={"spec":{"nodeName":"${NODE}","terminationGracePeriodSeconds":1}}`,
      '--command', '--', 'sh', '-c', 'read l; echo "got $l"',
    ], 'hello from stdin\n');
    expect(r.out, r.err).toContain('got hello from stdin');
    expect(r.out + r.err).toContain(`pod "${name}" deleted`);
    expect(r.code, r.err).toBe(0);
    await until(() => kubectl('get', 'pod', name, '--ignore-not-found', '-o', 'name').out === '', `pod ${name} to be gone`, 30_000);
  }, 150_000);

  it('kubectl 1.32 debug -i --target: an ephemeral container in the running pod sees the target\'s processes', async () => {
    // stdin stays open until the answer is in: the end of an attach's stdin detaches its output
    // (containerd, as the kubelet, for a container without stdinOnce), so it is sent last
    const child = spawn(KUBECTL_132, ['--kubeconfig', host.skiff.kubeconfig, '--cache-dir', join(host.home, 'cache-debug'), 'debug', '-i', 'target', '--image=busybox', '--image-pull-policy=IfNotPresent', '--target=app', '--container=debugger', '--', 'sh'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    // the first lines may go out before the runtime attached the output: ask until it answers
    await until(() => {
      if (child.exitCode !== null) throw new Error(`kubectl debug ended: ${out} ${err}`);
      child.stdin.write('ps -o pid,args\n');
      return out.includes('sleep 3600');
    }, 'ps in the debug container to list the target\'s sleep', 60_000, 1_000);
    child.stdin.end('exit 0\n');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 20_000))]);
    if (code === 'still running') child.kill('SIGKILL');
    expect(err).not.toMatch(/panic|error/i);
    expect(out).toContain('sleep 3600'); // the target's process, through the shared PID namespace
    expect(code, err).toBe(0);
    const pod = JSON.parse(kubectl('get', 'pod', 'target', '-o', 'json').out);
    expect(pod.spec.ephemeralContainers).toEqual([expect.objectContaining({ name: 'debugger', image: 'busybox', targetContainerName: 'app', stdin: true })]);
    const status = await until(() => {
      const p = JSON.parse(kubectl('get', 'pod', 'target', '-o', 'json').out);
      const s = (p.status.ephemeralContainerStatuses ?? []).find((c: { name: string }) => c.name === 'debugger');
      return s?.state?.terminated && s;
    }, 'the debugger\'s terminated status', 30_000);
    expect(status.state.terminated.exitCode).toBe(0);
    // the pod runs on; its app container was not restarted
    expect(JSON.parse(kubectl('get', 'pod', 'target', '-o', 'json').out).status.containerStatuses[0]).toMatchObject({ name: 'app', restartCount: 0, state: { running: expect.anything() } });
  }, 150_000);

  it.each([
    ['1.32', KUBECTL_132],
    ['1.20', KUBECTL_120],
  ])('kubectl %s cp both ways and exec -i', async (version, bin) => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-cp-'));
    try {
      const payload = Array.from({ length: 20_000 }, (_, i) => `line ${i} of ${version}`).join('\n') + '\n';
      writeFileSync(join(dir, 'in.txt'), payload);
      const up = await kubectlIn(bin!, ['cp', join(dir, 'in.txt'), `default/target:/tmp/in-${version}.txt`, '-c', 'app'], '');
      expect(up.code, up.err).toBe(0);
      const wc = await kubectlIn(bin!, ['exec', '-i', 'target', '-c', 'app', '--', 'sh', '-c', `cat > /tmp/piped-${version}; wc -c < /tmp/in-${version}.txt; wc -c < /tmp/piped-${version}`], payload);
      expect(wc.code, wc.err).toBe(0);
      expect(wc.out.split('\n').map((s) => s.trim()).filter(Boolean)).toEqual([String(payload.length), String(payload.length)]);
      const down = await kubectlIn(bin!, ['cp', `default/target:/tmp/piped-${version}`, join(dir, 'out.txt'), '-c', 'app'], '');
      expect(down.code, down.err).toBe(0);
      expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe(payload);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
