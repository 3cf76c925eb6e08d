// `skiff up`'s Ingress flags: 127.0.0.1:80 and :443 by default, ports and address from the flags,
// off with --no-ingress, a bad port refused before anything starts.
import { describe, expect, it } from 'vitest';
import { upIngress, watchCacheEvents } from './server.ts';

describe('skiff up --ingress-*', () => {
  it('listens on 127.0.0.1, ports 80 and 443, retrying a port it cannot bind', () => {
    expect(upIngress({})).toEqual({ listenAddress: '127.0.0.1', httpPort: 80, httpsPort: 443, bindRetryMs: 5000 });
    expect(upIngress({ ingress: true, ingressAddress: '127.0.0.1', ingressHttpPort: '80', ingressHttpsPort: '443' })).toEqual(upIngress({}));
  });

  it('takes the address and ports from the flags (0: any free port, -1: none)', () => {
    expect(upIngress({ ingressAddress: '0.0.0.0', ingressHttpPort: '8080', ingressHttpsPort: '-1' })).toMatchObject({ listenAddress: '0.0.0.0', httpPort: 8080, httpsPort: -1 });
    expect(upIngress({ ingressHttpPort: '0' })).toMatchObject({ httpPort: 0, httpsPort: 443 });
  });

  it('--no-ingress: none', () => {
    expect(upIngress({ ingress: false, ingressHttpPort: '80' })).toBeUndefined();
  });

  it('refuses a port that is not one, naming the flag', () => {
    expect(() => upIngress({ ingressHttpsPort: '70000' })).toThrow('--ingress-https-port must be a port (0 for any free one, -1 for none), got "70000"');
    expect(() => upIngress({ ingressHttpPort: 'http' })).toThrow(/--ingress-http-port/);
  });
});

describe('skiff server --watch-cache-events', () => {
  it('takes a positive integer, and nothing without the flag', () => {
    expect(watchCacheEvents(undefined)).toBeUndefined();
    expect(watchCacheEvents('20')).toBe(20);
    for (const bad of ['0', '-1', '1.5', 'ten', '', '1e3']) expect(() => watchCacheEvents(bad), bad).toThrow(/--watch-cache-events/);
  });
});
