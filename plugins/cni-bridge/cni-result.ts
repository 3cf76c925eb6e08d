// Reading what CNI plugins print (CNI spec 1.0.0, "Result Types"; 0.3.x/0.4.0 results differ only in
// an `ips[].version` field): a success result, a VERSION answer, or an error object, which becomes a
// CniError carrying the plugin's code, msg and details. The shapes are the CNI contract's
// (@skiff/node-api); this is how a runner checks them.
import type { CniIPConfig, CniResult, CniVersionInfo } from '@skiff/node-api';


type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The error object a failing plugin printed, if it printed one. */
export function parseErrorObject(stdout: string): { code?: number; msg: string; details?: string } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (!isObj(v) || (typeof v.msg !== 'string' && typeof v.code !== 'number')) return undefined;
  return {
    ...(typeof v.code === 'number' ? { code: v.code } : {}),
    msg: typeof v.msg === 'string' ? v.msg : '(no message)',
    ...(typeof v.details === 'string' && v.details ? { details: v.details } : {}),
  };
}

/** Check the shape of a result; returns it, or a reason why it is not one. */
export function parseResult(stdout: string): CniResult | string {
  let v: unknown;
  try {
    v = JSON.parse(stdout);
  } catch {
    return `not JSON: ${JSON.stringify(stdout.slice(0, 200))}`;
  }
  if (!isObj(v)) return 'not a JSON object';
  if (typeof v.cniVersion !== 'string') return 'no "cniVersion"';
  if (v.interfaces !== undefined && !(Array.isArray(v.interfaces) && v.interfaces.every((i) => isObj(i) && typeof i.name === 'string'))) {
    return '"interfaces" must be a list of objects with a "name"';
  }
  if (v.ips !== undefined && !(Array.isArray(v.ips) && v.ips.every((i) => isObj(i) && typeof i.address === 'string'))) {
    return '"ips" must be a list of objects with an "address"';
  }
  if (v.routes !== undefined && !(Array.isArray(v.routes) && v.routes.every((r) => isObj(r) && typeof r.dst === 'string'))) {
    return '"routes" must be a list of objects with a "dst"';
  }
  return v as CniResult;
}

export function parseVersionInfo(stdout: string): CniVersionInfo | string {
  let v: unknown;
  try {
    v = JSON.parse(stdout);
  } catch {
    return `not JSON: ${JSON.stringify(stdout.slice(0, 200))}`;
  }
  if (!isObj(v) || typeof v.cniVersion !== 'string' || !Array.isArray(v.supportedVersions)) return 'expected {cniVersion, supportedVersions}';
  return { cniVersion: v.cniVersion, supportedVersions: v.supportedVersions.filter((s): s is string => typeof s === 'string') };
}

/** The addresses a result gives the container (those on interfaces with a sandbox, or unattributed ones). */
export function containerIPs(r: CniResult): CniIPConfig[] {
  const ifs = r.interfaces ?? [];
  return (r.ips ?? []).filter((ip) => ip.interface === undefined || ifs[ip.interface]?.sandbox !== undefined);
}
