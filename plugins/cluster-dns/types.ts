// The objects the cluster DNS reads: Services and EndpointSlices (discovery.k8s.io/v1), as @skiff/api
// types them.
import { LABEL_SERVICE_NAME, type EndpointSlice, type Service } from '@skiff/api';

export type { EndpointSlice, Service };

/** The label tying an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = LABEL_SERVICE_NAME;
