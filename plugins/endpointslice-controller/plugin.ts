// The EndpointSlice controller (type skiff.io/controller), as kube-controller-manager's endpointslice
// and endpoints controllers run: for every Service with a selector, EndpointSlices
// (discovery.k8s.io/v1) listing the selected pods that have an IP — ready / serving / terminating
// conditions, zone, hostname, ports resolved per pod, topology hints — and the legacy core/v1
// Endpoints of the same name. See controller.ts for the behaviour.
import { SERVICES } from '@skiff/api';
import { defineController } from '@skiff/client';
import { setupEndpointSlices, type EndpointSliceConfig } from './controller.ts';

export type { EndpointSliceConfig };

/** The controller's own settings (the kit adds workers, leaderElection and leaseDurationSeconds). */
export const configSchema = {
  type: 'object',
  properties: {
    // kube's --max-endpoints-per-slice: default 100, at most 1000 (the API's limit)
    maxEndpointsPerSlice: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    legacyEndpoints: { type: 'boolean', default: true },
  },
  additionalProperties: false,
};

export default defineController<EndpointSliceConfig>({
  name: 'endpointslice-controller',
  version: '0.1.0',
  for: SERVICES,
  workers: 5, // kube's --concurrent-service-endpoint-syncs
  component: 'endpointslice-controller',
  configSchema,
  setup: setupEndpointSlices,
});
