// What the plugin watcher accepts of a registration (Registration.GetInfo's answer), as the
// kubelet's CSI plugin handler checks it: the type it handles, a driver name that is a valid
// CSIDriver name, and a CSI version it speaks (1.x).
import { isDNS1123Subdomain } from '@skiff/api';
import { csi } from '@skiff/node-api';

/** The CSI spec major version Skiff speaks. */
export const CSI_MAJOR = 1;

/** Kubernetes' CSIDriver name rule: at most 63 characters, a DNS-1123 subdomain once lowercased. */
export function csiDriverNameErrors(name: string): string[] {
  if (!name) return ['must not be empty'];
  const out: string[] = [];
  if (name.length > 63) out.push('must be no more than 63 characters');
  out.push(...isDNS1123Subdomain(name.toLowerCase()));
  return out;
}

/** The highest 1.x version of `versions` ("1.2.0", "v1.5.0"), or undefined. */
export function highestSupportedVersion(versions: readonly string[]): string | undefined {
  let best: [number, number, number] | undefined;
  let bestText: string | undefined;
  for (const v of versions) {
    const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(v.trim());
    if (!m) continue;
    const parts: [number, number, number] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
    if (parts[0] !== CSI_MAJOR) continue;
    if (!best || parts[1] > best[1] || (parts[1] === best[1] && parts[2] > best[2])) {
      best = parts;
      bestText = v;
    }
  }
  return bestText;
}

/** Why a registration is refused, or null. */
export function registrationProblem(info: csi.PluginInfo): string | null {
  if (info.type !== csi.PluginType.CSI) return `plugin type ${JSON.stringify(info.type)} is not handled here (only ${csi.PluginType.CSI})`;
  const nameErrors = csiDriverNameErrors(info.name);
  if (nameErrors.length) return `invalid CSI driver name ${JSON.stringify(info.name)}: ${nameErrors.join('; ')}`;
  if (!highestSupportedVersion(info.supportedVersions))
    return `none of the CSI versions the driver ${info.name} supports (${info.supportedVersions.join(', ') || 'none given'}) is one Skiff speaks (${CSI_MAJOR}.x)`;
  return null;
}
