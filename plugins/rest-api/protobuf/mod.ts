// Kubernetes protobuf (application/vnd.kubernetes.protobuf) request bodies for the REST API.
export { decodeKubernetesProtobuf, messageToJson, KUBERNETES_PROTOBUF, PROTOBUF_MAGIC } from './decode.ts';
export { encodeKubernetesProtobuf, wrapRaw, withExtraField } from './encode.ts';
export { KIND_MESSAGES, kubernetesProtoRoot, protoDir } from './schema.ts';
