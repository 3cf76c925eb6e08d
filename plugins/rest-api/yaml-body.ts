// YAML request bodies: the front-end kit's bounded parser (client/api-frontend/yaml-body.ts), shared with gRPC.
export { parseYamlBody, yamlDuplicateFields, yamlTextDepthExceeds } from '@skiff/client/api-frontend';
