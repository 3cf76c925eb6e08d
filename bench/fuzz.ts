// `npm run bench -- fuzz [--count N] [--seed S] [--concurrency C] [--classes a,b] [--only 1,2] [--url U --token T --ca-file F]`
// The hostile-input fuzzer (integration/fuzz) against a fresh `skiff server` (the built
// dist/skiff.mjs), or against a running one with --url/--token/--ca-file. Prints the counts per
// class and the failure groups with a reproduction each; last line one JSON object.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatReport, runFuzz } from '../integration/fuzz/runner.ts';
import { seedFrom } from '../integration/fuzz/prng.ts';
import { rssMb } from './_util.ts';
import { startServerProcess } from './_server.ts';

const { values: flags } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    classes: { type: 'string' },
    only: { type: 'string' },
    'timeout-ms': { type: 'string', default: '30000' },
    'slow-timeout-ms': { type: 'string', default: '90000' },
    url: { type: 'string' },
    token: { type: 'string' },
    'ca-file': { type: 'string' },
  },
  allowPositionals: true,
});

const seed = seedFrom(flags.seed ?? process.env.FUZZ_SEED);
console.error(`[fuzz] seed ${seed} (repeat with --seed ${seed})`);
let home: string | undefined;
let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;
let url = flags.url;
let token = flags.token;
let ca = flags['ca-file'] ? readFileSync(flags['ca-file'], 'utf8') : undefined;
if (!url) {
  home = mkdtempSync(join(tmpdir(), 'skiff-fuzz-'));
  server = await startServerProcess(home);
  url = server.rest.base;
  token = server.rest.headers.authorization!.replace(/^Bearer /, '');
  ca = server.ca;
}
const rssStart = server ? rssMb(server.pid) : undefined;
try {
  const report = await runFuzz({
    url: url!,
    token: token!,
    ca: ca!,
    pid: server?.pid,
    seed,
    count: Number(flags.count),
    concurrency: Number(flags.concurrency),
    timeoutMs: Number(flags['timeout-ms']),
    slowTimeoutMs: Number(flags['slow-timeout-ms']),
    classes: flags.classes?.split(','),
    only: flags.only?.split(',').map(Number),
    log: (l) => console.error(l),
  });
  console.log(formatReport(report, 200));
  const rssEnd = server ? rssMb(server.pid) : undefined;
  console.log(
    JSON.stringify({
      seed,
      requests: report.requests,
      durationS: report.durationS,
      failures: report.failures.length,
      failureGroups: report.groups.length,
      bystanderRequests: report.bystander.requests,
      bystanderFailures: report.bystander.failures.length,
      bystanderP99Ms: report.bystander.p99Ms,
      burstFailures: report.bursts.reduce((s, b) => s + b.failures.length, 0),
      serverAlive: report.serverAlive,
      partiallyStored: report.partiallyStored.length,
      lostOrChanged: report.lostOrChanged.length,
      rssStartMb: rssStart,
      rssEndMb: rssEnd,
      ok: report.ok,
      classes: report.classes,
    }),
  );
  process.exitCode = report.ok ? 0 : 1;
} finally {
  await server?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
}
