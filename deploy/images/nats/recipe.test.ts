// The nats-server image in the Docker engine. Fails (saying why) when `docker info` fails
// (SKIFF_TESTS_WITHOUT=docker skips it); nats-server comes with the test setup.
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { buildImages } from '../build.ts';
import { dockerLoad } from '../load.ts';
import { itNeeding } from '../../../scripts/test-parts.ts';
import { natsVersion } from './recipe.ts';

describe('nats image', () => {
  itNeeding(['docker'], 'loads into Docker and runs nats-server --version', async () => {
    const version = natsVersion();
    const [img] = await buildImages(['nats'], { out: join(tmpdir(), 'skiff-images-test') });
    expect(img.refs).toEqual([`skiff.local/nats-server:${version}`, 'skiff.local/nats-server:latest']);
    expect(dockerLoad(img.tar)).toContain('skiff.local/nats-server:latest');
    const r = spawnSync('docker', ['run', '--rm', '--network', 'none', 'skiff.local/nats-server:latest', '--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.trim()).toBe(`nats-server: v${version}`);
    expect(r.status).toBe(0);
  }, 120_000);
});
