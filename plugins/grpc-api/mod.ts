export { default } from './plugin.ts';
export { createGrpcApi, type GrpcApi, type GrpcApiOptions } from './server.ts';
export { errorCodec, grpcCode, DETAILS_KEY, STATUS_TYPE_URL } from './errors.ts';
export { findProtoDir, skiffProto, SKIFF_PROTO_FILES, LOADER_OPTIONS } from './proto.ts';
