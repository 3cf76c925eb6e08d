import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { CHECKPOINT_FILE, readCheckpoint, writeCheckpoint, type CheckpointData } from './checkpoint.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-dm-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data: CheckpointData = {
  entries: [{
    podUid: 'u1', podNamespace: 'ns', podName: 'p', container: 'c', resource: 'example.com/widget', deviceIds: ['widget-0'],
    response: { envs: { WIDGET_IDS: 'widget-0' }, mounts: [], devices: [], annotations: {}, cdiDevices: [] },
  }],
  registeredDevices: { 'example.com/widget': ['widget-0', 'widget-1'] },
};

it('reads back what it wrote; none yet is empty', () => {
  expect(readCheckpoint(dir)).toEqual({ data: { entries: [], registeredDevices: {} } });
  writeCheckpoint(dir, data);
  expect(readCheckpoint(dir)).toEqual({ data });
  expect(existsSync(join(dir, `${CHECKPOINT_FILE}.tmp`))).toBe(false);
});

it('a file edited by hand (checksum mismatch) or garbage is set aside, not trusted', () => {
  writeCheckpoint(dir, data);
  const file = join(dir, CHECKPOINT_FILE);
  writeFileSync(file, readFileSync(file, 'utf8').replace('widget-0"]', 'widget-1"]'));
  const r = readCheckpoint(dir);
  expect(r.data.entries).toEqual([]);
  expect(r.problem).toContain('checksum mismatch');
  expect(existsSync(`${file}.corrupt`)).toBe(true);
  writeFileSync(file, '{not json');
  expect(readCheckpoint(dir).problem).toContain('unusable');
});
