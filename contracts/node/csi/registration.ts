// The kubelet plugin-registration protocol (pluginregistration.v1, k8s.io/kubelet/pkg/apis/
// pluginregistration/v1), as node-driver-registrar speaks it: a driver's registrar puts a socket in
// the agent's plugins_registry directory; the agent (the plugin watcher) calls GetInfo on it, checks
// the answer, and reports back with NotifyRegistrationStatus. The same protocol carries CSI drivers
// (type "CSIPlugin") and, in Kubernetes, DRA drivers; device plugins register otherwise (see
// ../device/types.ts, v1beta1.Registration).

/** The plugin types the watcher knows. */
export const PluginType = {
  CSI: 'CSIPlugin',
  Device: 'DevicePlugin',
} as const;

/** Registration.GetInfo's answer. */
export interface PluginInfo {
  /** "CSIPlugin", ... */
  type: string;
  /** the driver name (CSI: GetPluginInfo's name) */
  name: string;
  /** the driver's own socket (the CSI endpoint); empty: the registration socket itself */
  endpoint: string;
  /** e.g. ["1.0.0"] (CSI spec versions) */
  supportedVersions: string[];
}

/** What the watcher tells the registrar (Registration.NotifyRegistrationStatus). */
export interface RegistrationStatus {
  pluginRegistered: boolean;
  /** why not, when not */
  error: string;
}
