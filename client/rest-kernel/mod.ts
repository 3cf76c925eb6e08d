// @skiff/client/rest-kernel: the Kernel interface over Kubernetes' REST API (API users, remote plugins).
export { RestKernel, type RestKernelOptions } from './rest-kernel.ts';
export { discoverKinds } from './discovery.ts';
export { TypedKernel, type TypedList, type TypedWatch, type TypedWatchEvent } from '../typed-kernel.ts';
