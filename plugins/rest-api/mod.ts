export { default } from './plugin.ts';
export { createApiServer, type ApiServerOptions } from './server.ts';
export { ApiServingToken, type ApiServing } from './serving.ts';
export { toTable, columnsFor, age } from './table.ts';
