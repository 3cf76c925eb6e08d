// gRPC creates driven by h2load (nghttp2-client, installed when missing), a C HTTP/2 load
// generator: the same unary call a grpc-js client makes (a length-prefixed CreateRequest built from
// proto/, `content-type: application/grpc`, the bearer token), with far less of the two cores spent
// on the client than grpc-js needs. Every request is the same bytes, so the object uses
// metadata.generateName: each call is a create of its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequestFrame, type GrpcRef } from './_grpc-wire.ts';
import { pct, repoRoot } from './_util.ts';

export interface H2loadFigures {
  opsPerSec: number;
  /** answered with HTTP 200 (a gRPC error is a 200 too: check what was stored) */
  succeeded: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
}

let installed = false;

/** `n` Create calls of `object` into `ref`, `concurrency` streams in flight on one TLS connection. */
export function h2loadCreates(o: { address: string; token: string; ref: GrpcRef; object: unknown; n: number; concurrency: number }): H2loadFigures {
  const root = repoRoot();
  if (!installed) {
    const deps = spawnSync('bash', [join(root, 'scripts', 'ensure-node-deps.sh'), 'h2load'], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (deps.status !== 0) throw new Error('h2load is missing and could not be installed (scripts/ensure-node-deps.sh h2load)');
    installed = true;
  }
  const framed = createRequestFrame(o.ref, o.object);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-h2load-'));
  try {
    writeFileSync(join(dir, 'body'), framed);
    const log = join(dir, 'log');
    const r = spawnSync(
      'h2load',
      ['-n', String(o.n), '-c', '1', '-m', String(o.concurrency), '-d', join(dir, 'body'), '--log-file', log, '-H', 'content-type: application/grpc', '-H', 'te: trailers', '-H', `authorization: Bearer ${o.token}`, `https://${o.address}/skiff.v1.Objects/Create`],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`h2load exited ${r.status}: ${r.stderr || r.stdout}`);
    const reqs = /requests: .* (\d+) succeeded, (\d+) failed/.exec(r.stdout);
    const rate = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(r.stdout);
    if (!reqs || !rate) throw new Error(`h2load's output is not understood: ${r.stdout}`);
    // per request: start (µs since the epoch), HTTP status, µs to the end of the response
    const lat = readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => Number(l.split('\t')[2]) / 1000);
    return { opsPerSec: Math.round(Number(rate[1])), succeeded: Number(reqs[1]), failed: Number(reqs[2]), p50Ms: pct(lat, 50), p99Ms: pct(lat, 99) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
