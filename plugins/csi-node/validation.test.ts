import { describe, expect, it } from 'vitest';
import { csiDriverNameErrors, highestSupportedVersion, registrationProblem } from './validation.ts';

describe('registration checks', () => {
  it('accepts CSIDriver names as Kubernetes does', () => {
    expect(csiDriverNameErrors('hostpath.csi.skiff.io')).toEqual([]);
    expect(csiDriverNameErrors('Ebs.CSI.AWS.com')).toEqual([]); // lowercased before the check
    expect(csiDriverNameErrors('')).not.toEqual([]);
    expect(csiDriverNameErrors('under_score')).not.toEqual([]);
    expect(csiDriverNameErrors(`${'a'.repeat(60)}.com`)).toEqual(['must be no more than 63 characters']);
  });

  it('picks the highest 1.x version', () => {
    expect(highestSupportedVersion(['1.0.0', 'v1.5.0', '1.2.3', '2.0.0'])).toBe('v1.5.0');
    expect(highestSupportedVersion(['0.3.0', '2.0.0', 'garbage'])).toBeUndefined();
    expect(highestSupportedVersion([])).toBeUndefined();
  });

  it('says why a registration is refused', () => {
    const ok = { type: 'CSIPlugin', name: 'a.b', endpoint: '', supportedVersions: ['1.0.0'] };
    expect(registrationProblem(ok)).toBeNull();
    expect(registrationProblem({ ...ok, type: 'DevicePlugin' })).toMatch(/not handled here/);
    expect(registrationProblem({ ...ok, name: 'a_b' })).toMatch(/invalid CSI driver name/);
    expect(registrationProblem({ ...ok, supportedVersions: ['0.3.0'] })).toMatch(/none of the CSI versions/);
  });
});
