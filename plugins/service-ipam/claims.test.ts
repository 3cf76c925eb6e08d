// When an allocation object may be taken over, on a real kernel without the plugin (no repair loop
// racing the claims): held, released by a delete, dropped by a type change, leaked by a failed create.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IP_ADDRESSES, SERVICES } from '@skiff/api';
import type { KObject } from '@skiff/kernel';
import { sleep, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { Claims, RELEASED_ANNOTATION, type Owner } from './claims.ts';
import { ipAddresses } from './kinds.ts';

let t: TestKernel;
let claims: Claims;
beforeAll(async () => {
  t = await startTestKernel();
  claims = new Claims(t.kernel, ipAddresses, { settleMs: 150, leakGraceMs: 400 });
});
afterAll(async () => t?.stop());

const ip = (s: string) => ipAddresses.value(s)!;
/** A Service stored as given (no plugin here), holding `clusterIP`. */
async function service(name: string, clusterIP?: string): Promise<Owner> {
  const s: KObject = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80 }], ...(clusterIP ? { clusterIP } : {}) } };
  const o = await t.kernel.create(SERVICES, s);
  return { namespace: 'default', name, uid: o.metadata.uid! };
}
const stranger = (name: string): Owner => ({ namespace: 'default', name, uid: `uid-${name}` });

describe('Claims', () => {
  it('a value its Service holds stays taken, also when marked released while the Service exists', async () => {
    const a = await service('a', '10.96.1.1');
    expect(await claims.claim(ip('10.96.1.1'), a)).toBe(true);
    expect(await claims.claim(ip('10.96.1.1'), a)).toBe(true); // ours already
    expect(await claims.claim(ip('10.96.1.1'), stranger('b'))).toBe(false);
    await claims.markReleased(ip('10.96.1.1'), a); // a delete that then failed
    expect((await t.kernel.get(IP_ADDRESSES, undefined, '10.96.1.1')).metadata.annotations?.[RELEASED_ANNOTATION]).toBe('true');
    await sleep(500);
    expect(await claims.claim(ip('10.96.1.1'), stranger('b'))).toBe(false);
  });

  it('released and deleted: free at once', async () => {
    const c = await service('c', '10.96.1.2');
    expect(await claims.claim(ip('10.96.1.2'), c)).toBe(true);
    await claims.markReleased(ip('10.96.1.2'), c);
    await t.kernel.delete(SERVICES, 'default', 'c');
    expect(await claims.claim(ip('10.96.1.2'), stranger('d'), true)).toBe(true); // dry run: would succeed
    expect(await claims.claim(ip('10.96.1.2'), stranger('d'))).toBe(true);
    const o = await t.kernel.get(IP_ADDRESSES, undefined, '10.96.1.2');
    expect((o.spec as any).parentRef.name).toBe('d');
  });

  it('deleted without the mark: free only after the leak grace period', async () => {
    const e = await service('e', '10.96.1.3');
    expect(await claims.claim(ip('10.96.1.3'), e)).toBe(true);
    await t.kernel.delete(SERVICES, 'default', 'e');
    expect(await claims.claim(ip('10.96.1.3'), stranger('f'))).toBe(false);
    await sleep(450);
    expect(await claims.claim(ip('10.96.1.3'), stranger('f'))).toBe(true);
  });

  it('a create still in flight keeps its claim for the leak grace period', async () => {
    expect(await claims.claim(ip('10.96.1.4'), stranger('pending'))).toBe(true);
    expect(await claims.claim(ip('10.96.1.4'), stranger('other'))).toBe(false);
    const o = await t.kernel.get(IP_ADDRESSES, undefined, '10.96.1.4');
    expect(await claims.check(o)).toMatchObject({ free: false });
    expect((await claims.check(o)).recheckInMs).toBeGreaterThan(0);
    expect((await claims.check(o, Date.now(), new Set(['uid-pending']))).free).toBe(true); // its Service seen deleted
  });

  it('a value its Service dropped is free once the claim has settled', async () => {
    const g = await service('g'); // holds no address
    expect(await claims.claim(ip('10.96.1.5'), g)).toBe(true);
    expect(await claims.claim(ip('10.96.1.5'), stranger('h'))).toBe(false);
    await sleep(200);
    expect(await claims.claim(ip('10.96.1.5'), stranger('h'))).toBe(true);
  });

  it('unclaim gives back only what is still the owner\'s', async () => {
    expect(await claims.claim(ip('10.96.1.6'), stranger('i'))).toBe(true);
    await claims.unclaim(ip('10.96.1.6'), stranger('j'));
    expect((await t.kernel.get(IP_ADDRESSES, undefined, '10.96.1.6')).metadata.name).toBe('10.96.1.6');
    await claims.unclaim(ip('10.96.1.6'), stranger('i'));
    await expect(t.kernel.get(IP_ADDRESSES, undefined, '10.96.1.6')).rejects.toMatchObject({ code: 404 });
  });
});
