// @skiff/client/rest: the Kubernetes REST API from a client's side — a small HTTP(S) client with
// kubectl-style Status errors (the skiff CLI's), and RestKernel, the Kernel interface over REST.
export { RestClient, TABLE_ACCEPT, withQuery, type RestTarget, type Query, type RequestOptions, type Watch, type WatchEvent } from './rest-client.ts';
export { isNotFound, isStatus, statusErrorFrom, statusErrorOfResponse, StatusError, type Status } from './status-error.ts';
