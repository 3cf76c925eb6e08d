// The CNI protocol (spec 1.0.0, github.com/containernetworking/cni SPEC.md) as TypeScript: the
// network configuration list a runtime reads, what a plugin is run with (libcni's RuntimeConf), what
// it prints (a result, a VERSION answer, or an error object), and the spec's error codes. Any
// skiff.io/cni plugin writes and runs these; the shapes are the spec's, not one plugin's.

/** One plugin's entry in a conflist: `type` names the binary; the rest is the plugin's own. */
export interface CniPluginConf {
  type: string;
  /** capability arguments the plugin wants as runtimeConfig (portMappings, bandwidth, ...) */
  capabilities?: Record<string, boolean>;
  [field: string]: unknown;
}

/** A network configuration list (`*.conflist`): the chain a runtime runs for every pod. */
export interface CniConflist {
  cniVersion: string;
  name: string;
  disableCheck?: boolean;
  plugins: CniPluginConf[];
}

/** The `portMappings` capability argument (containerd passes a sandbox's CRI PortMappings as these). */
export interface CniPortMapping {
  hostPort: number;
  containerPort: number;
  protocol?: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

/** What a pod's network attachment is about (libcni's RuntimeConf). */
export interface CniRuntimeConf {
  containerId: string;
  /** path of the pod's network namespace, e.g. /run/netns/cni-… or /proc/<pid>/ns/net */
  netns: string;
  /** interface name inside the pod (default eth0) */
  ifName?: string;
  /** CNI_ARGS, e.g. K8S_POD_NAMESPACE, K8S_POD_NAME */
  args?: Record<string, string>;
  /** capability arguments, passed as runtimeConfig to plugins declaring the capability */
  capabilityArgs?: { portMappings?: CniPortMapping[] } & Record<string, unknown>;
}

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';

// --- results ("Result Types"; 0.3.x/0.4.0 results differ only in an `ips[].version` field) ---

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

// --- errors -----------------------------------------------------------------------------------

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
