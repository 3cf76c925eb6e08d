// Integration: build the busybox image from Debian's busybox-static, import it into containerd
// and run a container. Fails (saying why) when containerd cannot be used: not root, or no server on
// its socket (SKIFF_TESTS_WITHOUT=containerd skips it). Builds are cached in $TMPDIR/skiff-images-test
// across runs.
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { buildImages } from '../build.ts';
import { ctrImport } from '../load.ts';
import { itNeeding } from '../../../scripts/test-parts.ts';

const NS = 'skiff-images-test';
const OUT = join(tmpdir(), 'skiff-images-test');

describe('busybox image in containerd', () => {
  itNeeding(
    ['root', 'containerd'],
    'builds, imports with ctr and runs sh in a container',
    async () => {
      const [img] = await buildImages(['busybox'], { out: OUT });
      expect(img.refs).toEqual(['docker.io/library/busybox:latest']);
      expect(ctrImport(img.tar, { namespace: NS })).toMatch(/docker\.io\/library\/busybox:latest/);

      const id = `busybox-test-${process.pid}-${Date.now()}`;
      const r = spawnSync(
        'ctr',
        ['-n', NS, 'run', '--rm', 'docker.io/library/busybox:latest', id, 'sh', '-c', 'echo "hello from $(busybox | head -1 | cut -d" " -f1-2) as $(id -un) in $PWD"; ls /tmp /root >/dev/null'],
        { encoding: 'utf8', timeout: 60_000 },
      );
      spawnSync('ctr', ['-n', NS, 'task', 'rm', '-f', id]); // only left behind when run failed
      spawnSync('ctr', ['-n', NS, 'containers', 'rm', id]);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('hello from BusyBox v1.35.0 as root in /');
      expect(r.status).toBe(0);
    },
    120_000,
  );

  // Debian builds busybox 1.35 without FEATURE_WGET_TIMEOUT, and then wget's getopt32 writes -T's
  // value through the NULL pointer it passes for it: `wget -T N` segfaults (static and dynamic builds
  // alike) before any socket. Names resolve (static glibc 2.36 has the files and dns NSS sources
  // built in). Bound a wget with `timeout N wget ...` instead.
  itNeeding(
    ['root', 'containerd'],
    'resolves a name through libc (nsswitch `hosts: files`) and fetches it with wget from httpd, bounded by timeout',
    async () => {
      const [img] = await buildImages(['busybox'], { out: OUT });
      ctrImport(img.tar, { namespace: NS });
      const id = `busybox-wget-${process.pid}-${Date.now()}`;
      // in the container's own network namespace (loopback only); the DNS path is shown in pods
      // (integration/services-node, multi-node-services)
      const script = [
        'echo "127.0.0.1 web.test" >> /etc/hosts',
        'mkdir /www && echo "served by httpd" > /www/index.html',
        'httpd -p 127.0.0.1:8080 -h /www',
        'timeout 5 wget -qO- http://web.test:8080/',
      ].join(' && ');
      const r = spawnSync('ctr', ['-n', NS, 'run', '--rm', 'docker.io/library/busybox:latest', id, 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
      spawnSync('ctr', ['-n', NS, 'task', 'rm', '-f', id]);
      spawnSync('ctr', ['-n', NS, 'containers', 'rm', id]);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('served by httpd');
      expect(r.status).toBe(0);
    },
    120_000,
  );
});
