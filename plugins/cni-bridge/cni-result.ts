// What CNI plugins print (CNI spec 1.0.0, "Result Types"; 0.3.x/0.4.0 results differ only in an
// `ips[].version` field): a success result, a VERSION answer, or an error object, which becomes a
// CniError carrying the plugin's code, msg and details.

export interface CniInterface {
  name: string;
  mac?: string;
  /** the netns path, for interfaces inside the container */
  sandbox?: string;
  mtu?: number;
}

export interface CniIPConfig {
  /** "10.244.1.5/24" */
  address: string;
  gateway?: string;
  /** index into `interfaces` */
  interface?: number;
  /** 0.3.x / 0.4.0 results only */
  version?: '4' | '6';
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniDNS {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIPConfig[];
  routes?: CniRoute[];
  dns?: CniDNS;
  [field: string]: unknown;
}

export interface CniVersionInfo {
  cniVersion: string;
  supportedVersions: string[];
}

/** The spec's well-known error codes. */
export const CNI_ERROR_CODES: Record<number, string> = {
  1: 'incompatible CNI version',
  2: 'unsupported field in network configuration',
  3: 'container unknown or does not exist',
  4: 'invalid necessary environment variables',
  5: 'I/O failure',
  6: 'failed to decode content',
  7: 'invalid network config',
  11: 'try again later',
};

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';

export interface CniErrorInit {
  /** the plugin type (binary name) */
  plugin: string;
  command: CniCommand;
  /** the CNI error code, when the plugin printed an error object */
  code?: number;
  msg: string;
  details?: string;
  containerId?: string;
  network?: string;
  exitCode?: number | null;
  stderr?: string;
}

/** A CNI plugin failed: its error object (code, msg, details), or why it could not be run or understood. */
export class CniError extends Error {
  readonly plugin: string;
  readonly command: CniCommand;
  readonly code?: number;
  readonly msg: string;
  readonly details?: string;
  readonly containerId?: string;
  readonly network?: string;
  readonly exitCode?: number | null;
  readonly stderr?: string;

  constructor(init: CniErrorInit) {
    const where = [init.network && `network ${init.network}`, init.containerId && `container ${init.containerId}`].filter(Boolean).join(', ');
    const code = init.code === undefined ? '' : ` [code ${init.code}${CNI_ERROR_CODES[init.code] ? `: ${CNI_ERROR_CODES[init.code]}` : ''}]`;
    const details = init.details ? ` (${init.details})` : '';
    super(`CNI plugin "${init.plugin}" ${init.command}${where ? ` (${where})` : ''} failed${code}: ${init.msg}${details}`);
    this.name = 'CniError';
    this.plugin = init.plugin;
    this.command = init.command;
    this.code = init.code;
    this.msg = init.msg;
    this.details = init.details;
    this.containerId = init.containerId;
    this.network = init.network;
    this.exitCode = init.exitCode;
    this.stderr = init.stderr;
  }
}

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
