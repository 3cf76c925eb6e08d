import { describe, expect, it } from 'vitest';
import type { csi } from '@skiff/node-api';
import { FakeCsiDriver, FakeCsiDrivers } from '@skiff/node-api/testing';
import { lazyCsiDrivers } from './csi-drivers-proxy.ts';

describe('lazyCsiDrivers', () => {
  it('follows the registry in use: none, then one (its drivers told as registered), then a reloaded one', () => {
    let current: csi.CsiDrivers | undefined;
    const proxy = lazyCsiDrivers(() => current);
    const seen: string[] = [];
    proxy.onChange((e) => seen.push(`${e.type} ${e.driver.name}`));
    expect(proxy.get('a.csi')).toBeUndefined();
    expect(proxy.list()).toEqual([]);

    const first = new FakeCsiDrivers();
    const a = new FakeCsiDriver({ name: 'a.csi' });
    first.register(a);
    current = first;
    expect(proxy.get('a.csi')).toBe(a);
    first.register(new FakeCsiDriver({ name: 'b.csi' }));
    expect(seen).toEqual(['Registered a.csi', 'Registered b.csi']);

    const second = new FakeCsiDrivers();
    current = second;
    expect(proxy.get('a.csi')).toBeUndefined();
    first.register(new FakeCsiDriver({ name: 'c.csi' })); // the old registry is no longer heard
    second.register(a);
    expect(seen).toEqual(['Registered a.csi', 'Registered b.csi', 'Registered a.csi']);
  });
});
