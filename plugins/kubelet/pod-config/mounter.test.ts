import { describe, expect, it } from 'vitest';
import { parseMountsUnder } from './mounter.ts';

const MOUNTINFO = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
100 22 0:50 / /var/lib/skiff/pods/u1/volumes/kubernetes.io~secret/s rw,relatime shared:50 - tmpfs tmpfs rw,size=1024k
101 22 0:51 / /var/lib/skiff/pods/u1/volumes/kubernetes.io~empty-dir/with\\040space rw - tmpfs tmpfs rw
102 22 8:1 /x /var/lib/skiff/pods/u1/volume-subpaths/v/c/0 rw shared:1 - ext4 /dev/sda1 rw
103 22 0:52 / /var/lib/skiff/pods/u10 rw - tmpfs tmpfs rw
104 22 0:53 / /var/lib/skiff/pods/u1 rw - tmpfs tmpfs rw
`;

describe('parseMountsUnder', () => {
  it('finds the mounts at or under a directory, deepest first, unescaping paths', () => {
    expect(parseMountsUnder(MOUNTINFO, '/var/lib/skiff/pods/u1/')).toEqual([
      { path: '/var/lib/skiff/pods/u1/volumes/kubernetes.io~empty-dir/with space', fsType: 'tmpfs' },
      { path: '/var/lib/skiff/pods/u1/volumes/kubernetes.io~secret/s', fsType: 'tmpfs' },
      { path: '/var/lib/skiff/pods/u1/volume-subpaths/v/c/0', fsType: 'ext4' },
      { path: '/var/lib/skiff/pods/u1', fsType: 'tmpfs' },
    ]);
    expect(parseMountsUnder(MOUNTINFO, '/nowhere')).toEqual([]);
  });
});
