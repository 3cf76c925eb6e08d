// YAML request bodies: the front-end kit's bounded parser (client/api-frontend/yaml-body.ts), shared with gRPC.
export { parseYamlBody, yamlTextDepthExceeds } from '@skiff/client/api-frontend';
