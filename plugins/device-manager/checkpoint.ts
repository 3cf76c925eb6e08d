// The device manager's checkpoint (kube's kubelet_internal_checkpoint, as JSON of our own): the
// devices allocated to each container with the plugin's answer for them, and the devices each
// resource had, so an agent restart keeps the running pods' allocations and the node's capacity
// until the plugins register again. Written atomically (a temporary file renamed over it) with a
// checksum; a file that does not parse or whose checksum is wrong is set aside, not trusted.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { devices } from '@skiff/node-api';

export const CHECKPOINT_FILE = 'skiff_device_checkpoint';

export interface CheckpointEntry extends devices.ContainerRef {
  resource: string;
  deviceIds: string[];
  /** the plugin's Allocate answer for this container and resource */
  response: devices.ContainerAllocateResponse;
}

export interface CheckpointData {
  entries: CheckpointEntry[];
  /** resource name -> every device ID it had */
  registeredDevices: Record<string, string[]>;
}

const checksum = (data: CheckpointData) => createHash('sha256').update(JSON.stringify(data)).digest('hex');

export function writeCheckpoint(dir: string, data: CheckpointData): void {
  const file = join(dir, CHECKPOINT_FILE);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ version: 1, data, checksum: checksum(data) }), { mode: 0o600 });
  renameSync(tmp, file);
}

/** The checkpoint, or an empty one (none yet); a corrupt file is renamed to <file>.corrupt and `problem` says so. */
export function readCheckpoint(dir: string): { data: CheckpointData; problem?: string } {
  const file = join(dir, CHECKPOINT_FILE);
  const empty = { entries: [], registeredDevices: {} };
  if (!existsSync(file)) return { data: empty };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { version?: number; data?: CheckpointData; checksum?: string };
    if (parsed.version !== 1 || !parsed.data || !Array.isArray(parsed.data.entries)) throw new Error('unknown checkpoint format');
    if (parsed.checksum !== checksum(parsed.data)) throw new Error('checksum mismatch');
    return { data: { entries: parsed.data.entries, registeredDevices: parsed.data.registeredDevices ?? {} } };
  } catch (e) {
    renameSync(file, `${file}.corrupt`);
    return { data: empty, problem: `device checkpoint ${file} is unusable (${e instanceof Error ? e.message : String(e)}); set aside as ${file}.corrupt` };
  }
}
