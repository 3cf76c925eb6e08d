import { describe, expect, it } from 'vitest';
import { parsePorts, podName } from './port-forward.ts';

describe('skiff port-forward arguments', () => {
  it('port specs as kubectl reads them', () => {
    expect(parsePorts(['8080', '9000:80', ':443'])).toEqual([{ local: 8080, remote: 8080 }, { local: 9000, remote: 80 }, { local: 0, remote: 443 }]);
    expect(() => parsePorts([])).toThrow('TYPE/NAME and list of ports are required');
    expect(() => parsePorts(['0'])).toThrow("error parsing local port '0'");
    expect(() => parsePorts(['80:0'])).toThrow("error parsing remote port '0'");
    expect(() => parsePorts(['x:80'])).toThrow("error parsing local port 'x'");
    expect(() => parsePorts(['1:2:3'])).toThrow("invalid port format '1:2:3'");
  });

  it('pods by name or pod/name; other kinds are refused', () => {
    expect(podName('web')).toBe('web');
    expect(podName('pod/web')).toBe('web');
    expect(podName('pods/web')).toBe('web');
    expect(() => podName('svc/web')).toThrow('port-forward to svc is not supported');
  });
});
