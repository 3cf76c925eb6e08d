// @kubernetes/client-node (1.x) against a real pod: `skiff server` + `skiff agent` on this
// machine's containerd (under the host lock: host-node.ts), a busybox pod that logs a line a second
// and serves HTTP with httpd. client-node's Log (follow and not), Exec (stdout, stderr, the exit
// status on the status channel, stdin; WebSocket v5.channel.k8s.io; a TTY), Attach (to a container
// with stdin) and PortForward (WebSocket channels) as an application uses them, from the kubeconfig
// the server wrote.
import { createServer, type Server } from 'node:net';
import http from 'node:http';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiException, Attach, Exec, KubeConfig, Log, PortForward, type V1Status } from '@kubernetes/client-node';
import { describeNeeding } from '../scripts/test-parts.ts';
import { HOST_NODE_START_MS, HOST_NODE_STOP_MS, HostNode } from './host-node.ts';
import { until } from './kubectl-client.ts';

const NODE = `client-node-${process.pid}`;
const POD = 'cn-pod';
const NS = 'default';
const host = new HostNode({ name: 'client-node-pod', nodeName: NODE });
let kc: KubeConfig;

/** A Writable that keeps what it is given. */
function sink(): Writable & { text(): string } {
  let text = '';
  const w = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return Object.assign(w, { text: () => text });
}

interface ExecResult {
  stdout: string;
  stderr: string;
  status?: V1Status;
}

/** client-node's Exec to its end (the WebSocket closed), with what came on each channel. */
async function exec(command: string[], stdin: Readable | null = null): Promise<ExecResult> {
  const out = sink();
  const err = sink();
  let status: V1Status | undefined;
  const ws: Awaited<ReturnType<Exec['exec']>> = await new Exec(kc).exec(NS, POD, 'app', command, out, err, stdin, false, (s) => (status = s));
  await new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve())));
  return { stdout: out.text(), stderr: err.text(), status };
}

describeNeeding(['root', 'containerd'], 'client-node Log, Exec and PortForward against a real pod', (missing) => {
  beforeAll(async () => {
    if (missing()) return;
    await host.start();
    host.apply(`apiVersion: v1
kind: Pod
metadata:
  name: ${POD}
  namespace: ${NS}
spec:
  terminationGracePeriodSeconds: 1
  nodeName: ${NODE}
  containers:
  - name: app
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "mkdir -p /www && echo pf-ok > /www/index.html && httpd -p 8080 -h /www && i=0; while true; do echo line-$i; i=$((i+1)); sleep 1; done"]
  - name: reader
    image: busybox
    imagePullPolicy: IfNotPresent
    stdin: true
    command: ["sh", "-c", "while read l; do echo att-$l; done"]
`);
    await until(() => host.kubectl('get', 'pod', POD, '-o', 'jsonpath={.status.phase}').out === 'Running', 'the pod to run', 90_000);
    kc = new KubeConfig();
    kc.loadFromFile(host.skiff.kubeconfig);
  }, HOST_NODE_START_MS);

  afterAll(() => host.stop(() => host.kubectl('delete', 'pod', POD, '--ignore-not-found', '--grace-period=0', '--force')), HOST_NODE_STOP_MS);

  it('Log without follow: what the container wrote so far, then the end', async () => {
    await until(async () => {
      const out = sink();
      const finished = new Promise((r) => out.once('finish', r));
      await new Log(kc).log(NS, POD, 'app', out, { follow: false });
      await finished;
      return /^line-0\nline-1\nline-2\n/.test(out.text());
    }, 'three lines in the log', 60_000);
    const out = sink();
    const finished = new Promise((r) => out.once('finish', r));
    await new Log(kc).log(NS, POD, 'app', out, { follow: false, tailLines: 1 });
    await finished;
    expect(out.text()).toMatch(/^line-\d+\n$/);
  });

  it('Log with follow: lines written after the request arrive on the open stream', async () => {
    const out = sink();
    const ctl = await new Log(kc).log(NS, POD, 'app', out, { follow: true, tailLines: 1 });
    try {
      const first = Number(/line-(\d+)/.exec(await until(() => out.text(), 'the first line'))![1]);
      // two lines the container writes after the first one we got
      await until(() => out.text().includes(`line-${first + 2}\n`), 'later lines through the follow', 60_000);
      const nums = [...out.text().matchAll(/line-(\d+)/g)].map((m) => Number(m[1]));
      expect(nums).toEqual(Array.from({ length: nums.length }, (_, i) => first + i));
    } finally {
      ctl.abort();
    }
  });

  it('Exec: stdout and stderr apart, the exit status on the status channel', async () => {
    const ok = await exec(['sh', '-c', 'echo to-out; echo to-err >&2']);
    expect(ok.stdout).toBe('to-out\n');
    expect(ok.stderr).toBe('to-err\n');
    expect(ok.status).toMatchObject({ status: 'Success' });

    const failed = await exec(['sh', '-c', 'echo before; exit 3']);
    expect(failed.stdout).toBe('before\n');
    expect(failed.status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
  });

  it('Exec: stdin reaches the command, and its end closes the command\'s stdin', async () => {
    const line = await exec(['sh', '-c', 'read x; echo got-$x'], Readable.from(['hello\n']));
    expect(line.stdout).toBe('got-hello\n');
    expect(line.status).toMatchObject({ status: 'Success' });

    // cat ends only when its stdin does: the end of client-node's stdin stream must reach it
    const stdin = new PassThrough();
    const running = exec(['sh', '-c', 'cat; echo eof >&2'], stdin);
    stdin.write('abc\n');
    stdin.end('def\n');
    const cat = await running;
    expect(cat.stdout).toBe('abc\ndef\n');
    expect(cat.stderr).toBe('eof\n');
    expect(cat.status).toMatchObject({ status: 'Success' });
  });

  it('Exec: a command that does not exist is a Failure status, not a hang', async () => {
    const r = await exec(['/no/such/command']);
    expect(r.status?.status).toBe('Failure');
  });

  it('Exec with a TTY: the command runs on a terminal', async () => {
    const out = sink();
    let status: V1Status | undefined;
    const ws = await new Exec(kc).exec(NS, POD, 'app', ['sh', '-c', 'tty && test -t 0 && echo on-a-tty'], out, null, null, true, (s) => (status = s));
    await new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve())));
    expect(out.text()).toMatch(/^\/dev\/pts\/\d+\r?\non-a-tty\r?\n$/);
    expect(status).toMatchObject({ status: 'Success' });
  });

  it('Attach: what is written to stdin reaches the running container, its output comes back', async () => {
    const out = sink();
    const stdin = new PassThrough();
    const ws = await new Attach(kc).attach(NS, POD, 'reader', out, null, stdin, false);
    try {
      stdin.write('one\n');
      await until(() => out.text().includes('att-one\n'), 'the attached container to answer');
      stdin.write('two\n');
      await until(() => out.text().includes('att-two\n'), 'the second answer');
      expect(out.text()).toBe('att-one\natt-two\n');
    } finally {
      ws.close();
    }
  });

  it('PortForward: an HTTP request through a local listener reaches httpd in the pod', async () => {
    // the way client-node's docs forward: a local server, one portForward per connection
    const pf = new PortForward(kc);
    const server: Server = createServer((socket) => {
      pf.portForward(NS, POD, [8080], socket, null, socket).catch(() => socket.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      for (let i = 0; i < 2; i++) {
        const body = await new Promise<string>((resolve, reject) => {
          const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' } }, (res) => {
            let b = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (b += d));
            res.once('end', () => resolve(`${res.statusCode} ${b}`));
            res.once('error', reject);
          });
          req.once('error', reject);
        });
        expect(body).toBe('200 pf-ok\n');
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('errors: a missing pod or container is an ApiException for Log and a refused upgrade for Exec; a port nothing listens on says so on the error channel', async () => {
    const logOf = (pod: string, container: string) => new Log(kc).log(NS, pod, container, sink(), { follow: false });
    for (const [pod, container, code] of [['no-such-pod', 'app', 404], [POD, 'no-such-container', 400]] as const) {
      const e = await logOf(pod, container).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(ApiException);
      expect((e as ApiException<unknown>).code).toBe(code);
    }
    await expect(new Exec(kc).exec(NS, 'no-such-pod', 'app', ['true'], sink(), sink(), null, false)).rejects.toBeTruthy();

    const out = sink();
    const err = sink();
    const input = new PassThrough();
    const ws = await new PortForward(kc).portForward(NS, POD, [9999], out, err, input);
    try {
      input.write('GET / HTTP/1.0\r\n\r\n');
      await until(() => err.text(), 'an error on the port-forward error channel');
      expect(err.text()).toMatch(/9999/);
      expect(out.text()).toBe('');
    } finally {
      if (typeof ws !== 'function') ws.close();
    }
  });
});
