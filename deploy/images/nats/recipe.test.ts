// The nats-server image in the Docker engine. Skips (saying why) when `docker info` fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildImages } from '../build.ts';
import { dockerLoad, dockerUnavailable } from '../load.ts';
import { NATS_SERVER, natsVersion } from './recipe.ts';

const noNats = existsSync(NATS_SERVER) ? null : `${NATS_SERVER} missing`;
const noDocker = noNats ?? dockerUnavailable();

describe('nats image', () => {
  it.skipIf(noDocker !== null)(`loads into Docker and runs nats-server --version${noDocker ? ` (skipped: ${noDocker})` : ''}`, async () => {
    const version = natsVersion();
    const [img] = await buildImages(['nats'], { out: join(tmpdir(), 'skiff-images-test') });
    expect(img.refs).toEqual([`skiff.local/nats-server:${version}`, 'skiff.local/nats-server:latest']);
    expect(dockerLoad(img.tar)).toContain('skiff.local/nats-server:latest');
    const r = spawnSync('docker', ['run', '--rm', '--network', 'none', 'skiff.local/nats-server:latest', '--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.trim()).toBe(`nats-server: v${version}`);
    expect(r.status).toBe(0);
  }, 120_000);
});
