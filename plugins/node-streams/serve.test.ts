// The agent's side against the real containerd and a real nats-server: a host-network sandbox and
// busybox containers made through the CRI, labelled as the kubelet labels them; logs and exec
// through NATS as the API server asks for them.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startNatsServer, type EmbeddedNats } from '@skiff/kernel';
import { CriClient, sandboxOomProblem } from '@skiff/plugin-cri-containerd';
import { ensureTestImages } from '@skiff/plugin-cri-containerd/testing';
import { openExecSession, openLogStream, type ExecParams, type LogParams } from './client.ts';
import { exitCodeOf, type EndMessage } from './protocol.ts';
import { serveNodeStreams, type NodeStreamsServer } from './serve.ts';
import { NodeStreamError, type Session } from './session.ts';
import { startTestPod, type TestPod } from './testing.ts';
import { describeNeeding } from '../../scripts/test-parts.ts';

const SOCKET = '/run/containerd/containerd.sock';
const NODE = 'node-a.streams.test';
const RUN = randomUUID().slice(0, 8);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeNeeding(['root', 'containerd'], 'node-streams agent side against containerd', (missing) => {
  let cri: CriClient;
  let work: string;
  let nats: EmbeddedNats;
  let nc: NatsConnection;
  let server: NodeStreamsServer;
  let pod: TestPod;
  let image: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    if (missing()) return;
    cri = new CriClient({ socket: SOCKET, timeoutMs: 20_000 });
    const problem = sandboxOomProblem(await cri.status(true));
    if (problem) throw new Error(`this containerd cannot start sandboxes here: ${problem}`);
    work = mkdtempSync(join(tmpdir(), 'skiff-node-streams-'));
    image = (await ensureTestImages(cri, join(work, 'images'))).busyboxImage;
    nats = await startNatsServer({ dataDir: join(work, 'nats') });
    nc = await connect({ servers: nats.url, noAsyncTraces: true });
    server = serveNodeStreams({ nc, nodeName: NODE, cri, session: { pingMs: 200, idleMs: 1_500 }, stateCheckMs: 200 });
    pod = await startTestPod(cri, { namespace: 'streams', name: 'p', logRoot: join(work, 'logs'), image, extraLabels: { 'skiff.io/test-run': RUN } });
    // five numbered lines, a 40 KB line (containerd splits it into 16 KiB partial records), stderr
    // (a moment later: containerd copies stdout and stderr separately), then sleep
    ids.numbers = await pod.run('numbers', ['sh', '-c', 'i=1; while [ $i -le 5 ]; do echo "line $i"; i=$((i+1)); done; head -c 40000 /dev/zero | tr "\\0" x; echo; sleep 0.3; echo oops >&2; exec sleep 1000']);
    // attempt 0 exited, attempt 1 running: --previous
    ids.r0 = await pod.run('restarts', ['sh', '-c', 'echo first attempt; exit 1'], 0);
    await until(async () => (await cri.containerStatus(ids.r0!)).status?.state === 'CONTAINER_EXITED');
    ids.r1 = await pod.run('restarts', ['sh', '-c', 'echo second attempt; exec sleep 1000'], 1);
    ids.big = await pod.run('big', ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do echo "row $i 0123456789012345678901234567890123456789012345678901234567890123456789"; i=$((i+1)); done; exec sleep 1000']);
    await until(async () => (await logs({ container: 'numbers' })).text.includes('oops'));
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await pod?.remove();
    // whatever a failed test left behind
    for (const sb of (await cri?.listPodSandbox({ labelSelector: { 'skiff.io/test-run': RUN } }).catch(() => [])) ?? []) {
      await cri.stopPodSandbox(sb.id).catch(() => {});
      await cri.removePodSandbox(sb.id).catch(() => {});
    }
    await nc?.close();
    await nats?.stop();
    cri?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  const base = () => ({ namespace: 'streams', pod: 'p', uid: pod.uid });

  async function logs(p: Partial<LogParams>, onChunk?: (text: string) => void): Promise<{ text: string; end: EndMessage }> {
    let text = '';
    const session = await openLogStream(nc, NODE, { ...base(), container: 'numbers', ...p } as LogParams, {
      onData: (d) => {
        const s = Buffer.from(d).toString();
        text += s;
        onChunk?.(s);
      },
    });
    const end = await session.done;
    return { text, end };
  }

  async function exec(p: Partial<ExecParams>, stdin?: Buffer) {
    const out: Record<number, Buffer[]> = { 1: [], 2: [] };
    const session = await openExecSession(nc, NODE, { ...base(), container: 'numbers', command: ['true'], stdout: true, stderr: true, ...p } as ExecParams, {
      onData: (stream, d) => void out[stream]!.push(Buffer.from(d)),
    });
    if (stdin) {
      await session.sendData(0, stdin);
      session.sendControl({ stdinClose: true });
    }
    const end = await session.done;
    return { stdout: Buffer.concat(out[1]!).toString(), stderr: Buffer.concat(out[2]!).toString(), end, session };
  }

  it('sends a container\'s log as kubelet does: partial records joined, both streams', async () => {
    const { text, end } = await logs({});
    expect(end).toEqual({});
    const lines = text.split('\n');
    expect(lines.slice(0, 5)).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
    expect(lines[5]).toBe('x'.repeat(40_000)); // three partial records, one line
    expect(lines[6]).toBe('oops');
    expect(lines.slice(7)).toEqual(['']);
  });

  it('tailLines counts lines (not records), limitBytes cuts the output, timestamps prefix each line', async () => {
    expect((await logs({ tailLines: 2 })).text).toBe(`${'x'.repeat(40_000)}\noops\n`);
    expect((await logs({ tailLines: 1 })).text).toBe('oops\n');
    expect((await logs({ tailLines: 0 })).text).toBe('');
    expect((await logs({ limitBytes: 10 })).text).toBe('line 1\nlin');
    const ts = (await logs({ timestamps: true, tailLines: 3 })).text.split('\n');
    expect(ts[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) line 5$/);
    expect(ts[1]).toMatch(/^\S+ x{40000}$/); // one prefix for the joined line
    expect(ts[2]).toMatch(/^\S+ oops$/);
  });

  it('since: sinceTime and sinceSeconds skip older lines', async () => {
    expect((await logs({ sinceTime: new Date(Date.now() + 60_000).toISOString() })).text).toBe('');
    expect((await logs({ sinceTime: '2000-01-01T00:00:00Z' })).text).toContain('line 1');
    const id = await pod.run('ticker', ['sh', '-c', 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done']);
    await sleep(2_500);
    const recent = (await logs({ container: 'ticker', sinceSeconds: 1 })).text.trim().split('\n');
    expect(recent.length).toBeGreaterThanOrEqual(3);
    expect(recent.length).toBeLessThanOrEqual(7);
    expect(recent).not.toContain('tick 0');
    await cri.stopContainer(id, 0);
  });

  it('follow: streams lines as they come and ends when the container stops', async () => {
    const id = await pod.run('follow', ['sh', '-c', 'i=0; while true; do echo "f $i"; i=$((i+1)); sleep 0.1; done']);
    let seen = '';
    const t0 = Date.now();
    const done = logs({ container: 'follow', follow: true }, (s) => (seen += s));
    await until(async () => seen.includes('f 5'));
    await cri.stopContainer(id, 0);
    const { text, end } = await done;
    expect(end).toEqual({});
    expect(text.startsWith('f 0\nf 1\n')).toBe(true);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('follow of a reopened (rotated) log goes on in the new file', async () => {
    const id = await pod.run('rotate', ['sh', '-c', 'i=0; while true; do echo "r $i"; i=$((i+1)); sleep 0.1; done']);
    const path = (await cri.containerStatus(id)).status!.logPath;
    let seen = '';
    const done = logs({ container: 'rotate', follow: true }, (s) => (seen += s));
    await until(async () => seen.includes('r 3'));
    const { renameSync } = await import('node:fs');
    renameSync(path, `${path}.1`); // what the kubelet's log rotation does, then ReopenContainerLog
    await cri.reopenContainerLog(id);
    const mark = seen.length;
    await until(async () => seen.slice(mark).split('\n').length > 5);
    await cri.stopContainer(id, 0);
    await done;
    const numbers = seen.trim().split('\n').map((l) => Number(l.split(' ')[1]));
    expect(numbers).toEqual(numbers.map((_, i) => i)); // nothing lost, nothing twice
  });

  it('previous: the dead attempt below the current one; kube\'s error when there is none', async () => {
    expect((await logs({ container: 'restarts' })).text).toBe('second attempt\n');
    expect((await logs({ container: 'restarts', previous: true })).text).toBe('first attempt\n');
    const err = await logs({ previous: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeStreamError);
    expect((err as NodeStreamError).status).toMatchObject({ code: 400, reason: 'BadRequest', message: 'previous terminated container "numbers" in pod "p" not found' });
    // crash-looping: the newest attempt has exited too and waits to be restarted; the pod status
    // then names it as the last terminated container, and the API passes that on
    const c0 = await pod.run('crash', ['sh', '-c', 'echo crash 0; exit 1'], 0);
    await until(async () => (await cri.containerStatus(c0)).status?.state === 'CONTAINER_EXITED');
    const c1 = await pod.run('crash', ['sh', '-c', 'echo crash 1; exit 1'], 1);
    await until(async () => (await cri.containerStatus(c1)).status?.state === 'CONTAINER_EXITED');
    expect((await logs({ container: 'crash' })).text).toBe('crash 1\n');
    expect((await logs({ container: 'crash', previous: true })).text).toBe('crash 0\n');
    expect((await logs({ container: 'crash', previous: true, previousContainerId: `containerd://${c1}` })).text).toBe('crash 1\n');
    expect((await logs({ container: 'crash', previous: true, previousContainerId: 'containerd://someone-elses' })).text).toBe('crash 0\n');
    const gone = await logs({ container: 'nope' }).catch((e: NodeStreamError) => e.status);
    expect(gone).toMatchObject({ code: 400, message: 'container "nope" in pod "p" is not available' });
  });

  it('flow control: a slow reader gets everything, with never more than the window in flight', async () => {
    const path = (await cri.containerStatus(ids.big!)).status!.logPath;
    await until(async () => readFileSync(path, 'utf8').includes('row 19999 '));
    const window = 64 * 1024;
    let text = '';
    let maxInFlight = 0;
    const holder: { session?: Session } = {}; // data may come before openLogStream has returned
    const session = await openLogStream(nc, NODE, { ...base(), container: 'big' }, {
      onData: async (d) => {
        text += Buffer.from(d).toString();
        if (holder.session) maxInFlight = Math.max(maxInFlight, holder.session.stats.received - holder.session.stats.consumed);
        await sleep(2);
      },
    }, { recvWindow: window });
    holder.session = session;
    expect(await session.done).toEqual({});
    const rows = text.trim().split('\n');
    expect(rows.length).toBe(20_000);
    expect(rows[19_999]).toMatch(/^row 19999 /);
    expect(maxInFlight).toBeLessThanOrEqual(window);
    expect(maxInFlight).toBeGreaterThan(0);
  });

  it('a client that goes away ends the agent\'s work: END at once, silence after the idle time', async () => {
    const id = await pod.run('endless', ['sh', '-c', 'while true; do echo tick; sleep 0.05; done']);
    const s1 = await openLogStream(nc, NODE, { ...base(), container: 'endless', follow: true }, { onData: () => {} });
    await until(async () => server.active === 1);
    s1.end();
    await until(async () => server.active === 0, 2_000);
    const s2 = await openLogStream(nc, NODE, { ...base(), container: 'endless', follow: true }, { onData: () => {} });
    await until(async () => server.active === 1);
    s2.abandon(); // no END, no more pings
    const t0 = Date.now();
    await until(async () => server.active === 0, 5_000);
    expect(Date.now() - t0).toBeGreaterThan(500);
    await cri.stopContainer(id, 0);
  });

  it('exec: output, stderr and the exit code', async () => {
    const hi = await exec({ command: ['echo', 'hi'] });
    expect(hi.stdout).toBe('hi\n');
    expect(hi.end.status).toMatchObject({ status: 'Success' });
    expect(exitCodeOf(hi.end.status)).toBe(0);
    const three = await exec({ command: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
    expect(three).toMatchObject({ stdout: 'out\n', stderr: 'err\n' });
    expect(three.end.status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
    expect(exitCodeOf(three.end.status)).toBe(3);
  });

  it('exec: stdin to its end (cat), a megabyte of it through the window', async () => {
    expect((await exec({ command: ['cat'], stdin: true }, Buffer.from('hello from stdin\n'))).stdout).toBe('hello from stdin\n');
    const mb = Buffer.alloc(1_000_000, 'y');
    const r = await exec({ command: ['wc', '-c'], stdin: true }, mb);
    expect(r.stdout.trim()).toBe('1000000');
    expect(r.session.stats.sent).toBe(1_000_000);
  });

  it('exec with a tty: the terminal size from resize', async () => {
    const out: Buffer[] = [];
    const session = await openExecSession(nc, NODE, { ...base(), container: 'numbers', command: ['sh', '-c', 'sleep 0.3; stty size'], stdin: true, stdout: true, tty: true }, {
      onData: (_s, d) => void out.push(Buffer.from(d)),
    });
    session.sendControl({ resize: { Width: 123, Height: 45 } });
    const end = await session.done;
    expect(Buffer.concat(out).toString()).toBe('45 123\r\n');
    expect(exitCodeOf(end.status)).toBe(0);
  });

  it('exec errors: no such container, no command, no agent for the node', async () => {
    expect(await exec({ container: 'nope' }).catch((e: NodeStreamError) => e.status)).toMatchObject({ code: 404, message: 'container not found ("nope")' });
    expect(await exec({ command: [] }).catch((e: NodeStreamError) => e.status)).toMatchObject({ code: 400 });
    const none = await openLogStream(nc, 'no-such-node', { ...base(), container: 'numbers' }, { onData: () => {} }).catch((e: NodeStreamError) => e.status);
    expect(none).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
  });
});

async function until(f: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await f()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}
