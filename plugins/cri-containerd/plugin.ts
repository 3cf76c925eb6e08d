// The `skiff.io/cri` plugin for containerd: opens a CRI client on containerd's socket and provides
// it to the node agent's plugins as CriRuntimeToken. A runtime that is down at start is not fatal
// (containerd may start after the agent, and the channel reconnects by itself): it is logged and
// recorded as a Warning event, and calls fail with UNAVAILABLE until it is back.
import { definePlugin, PluginTypes } from '@skiff/kernel/plugins';
import { CriRuntimeToken } from '@skiff/node-api';
import { CallStats } from './call-stats.ts';
import { CriClient, DEFAULT_CRI_SOCKET, DEFAULT_TIMEOUT_MS } from './cri-client.ts';
import { cgroupDriverOf, sandboxImageOf, sandboxOomProblem } from './runtime-info.ts';

export interface CriContainerdConfig {
  /** `unix:///run/containerd/containerd.sock` or a socket path */
  socket: string;
  /** default deadline of each call, ms (ExecSync/StopContainer add their own timeout; PullImage has none) */
  timeoutMs: number;
}

/** How long a hot reload waits for the old client's calls before closing it. */
const DRAIN_MAX_MS = 30_000;
const REPORT_EVERY_MS = 2_000;

export default definePlugin<CriContainerdConfig>({
  name: 'cri-containerd',
  version: '0.1.0',
  type: PluginTypes.CRI,
  provides: [CriRuntimeToken],
  configSchema: {
    type: 'object',
    properties: {
      socket: { type: 'string', minLength: 1, default: DEFAULT_CRI_SOCKET },
      timeoutMs: { type: 'integer', minimum: 1, default: DEFAULT_TIMEOUT_MS },
    },
    additionalProperties: false,
  },
  async start(ctx) {
    const { logger, config } = ctx;
    const stats = new CallStats();
    const client = new CriClient({ socket: config.socket, timeoutMs: config.timeoutMs, onCall: (r) => stats.add(r) });
    try {
      const quick = { timeoutMs: Math.min(config.timeoutMs, 5_000), signal: ctx.signal };
      const v = await client.version(quick);
      const status = await client.status(true, quick);
      logger.info('CRI runtime answers', {
        target: client.target, runtime: v.runtimeName, version: v.runtimeVersion, api: v.runtimeApiVersion,
        sandboxImage: sandboxImageOf(status), cgroupDriver: cgroupDriverOf(status),
      });
      const problem = sandboxOomProblem(status);
      if (problem) {
        logger.warn('pod sandboxes will not start', { problem });
        ctx.recordEvent({ type: 'Warning', reason: 'SandboxesWillFail', message: problem });
      }
    } catch (e) {
      logger.warn('CRI runtime does not answer yet', { target: client.target, error: String(e) });
      ctx.recordEvent({ type: 'Warning', reason: 'RuntimeUnavailable', message: `${client.target}: ${(e as Error).message}` });
    }
    ctx.provide(CriRuntimeToken, client);

    const timer = setInterval(() => ctx.reportRuntime(stats.snapshot()), REPORT_EVERY_MS);
    timer.unref();
    return {
      // the new version serves new calls by now; let the ones already sent through this client finish
      async drain() {
        let timeout: NodeJS.Timeout | undefined;
        await Promise.race([client.idle(), new Promise((r) => (timeout = setTimeout(r, DRAIN_MAX_MS).unref()))]);
        clearTimeout(timeout);
      },
      stop() {
        clearInterval(timer);
        ctx.reportRuntime(stats.snapshot());
        client.close();
      },
    };
  },
});
