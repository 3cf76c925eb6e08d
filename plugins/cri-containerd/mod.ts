// @skiff/plugin-cri-containerd: a CRI (runtime.v1) client for containerd, and the `skiff.io/cri`
// plugin that provides it to the node agent (as CriRuntimeToken). The contract it implements — the
// CriRuntime interface, the CRI types, CriError — is @skiff/node-api's.
export { CriClient, criTarget, DEFAULT_CRI_SOCKET, DEFAULT_TIMEOUT_MS, CRI_API_VERSION, type CriClientOptions, type CallRecord } from './cri-client.ts';
export { findCriProto, criProtoRoot, DECODE_OPTIONS } from './proto.ts';
export { sandboxImageOf, cgroupDriverOf, canLowerOomScoreAdj, sandboxOomProblem } from './runtime-info.ts';
