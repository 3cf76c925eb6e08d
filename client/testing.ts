// Test helpers for controllers: a real kernel (nats-server in a temp dir), a plugin host running the
// controllers under test, and polling.
import { createConsoleLogger, PluginHost, type PluginDescriptor } from '@skiff/kernel/plugins';
import { startTestKernel, eventually, sleep, type TestKernel } from '@skiff/kernel/testing';

export { startTestKernel, eventually, sleep, type TestKernel };

export interface ControllerTestEnv {
  t: TestKernel;
  host: PluginHost;
  /** log lines at warn and above (assert on them when a test expects no warnings) */
  warnings: string[];
  stop(): Promise<void>;
}

/**
 * Start a kernel and run `controllers` in one plugin host (leader election off unless a config
 * says otherwise, so the test does not wait for a Lease).
 */
export async function startControllers(controllers: { descriptor: PluginDescriptor; config?: Record<string, unknown> }[]): Promise<ControllerTestEnv> {
  const t = await startTestKernel();
  const warnings: string[] = [];
  const logger = createConsoleLogger({ level: 'warn', write: (line) => void warnings.push(line) });
  const host = new PluginHost({ kernel: t.kernel, logger });
  await host.load(controllers.map((c) => ({ descriptor: c.descriptor, config: { leaderElection: false, ...c.config } })));
  return {
    t,
    host,
    warnings,
    async stop() {
      await host.stopAll();
      await t.stop();
    },
  };
}
