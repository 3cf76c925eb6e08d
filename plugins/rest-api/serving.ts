// What the REST API needs from whoever composes the server (TLS, tokens, probes): the API front-end
// kit's ApiServing, shared with the other front ends (kept here under its old import path).
export { ApiServingToken, type ApiServing } from '@skiff/client/api-frontend';
