// @skiff/kernel/bus: the Kernel over NATS. `serveKernelBus` on the kernel side, `connectKernel` on
// the other; the client implements the same `Kernel` interface as the in-process kernel.
export { serveKernelBus, type BusServer, type BusServerOptions } from './server.ts';
export { connectKernel, KernelBusClient, type KernelClientOptions, type RemoteAdmissionHandler } from './client.ts';
export { DEFAULT_PREFIX, QUEUE_GROUP, subjects, type AdmissionMatch, type KindDefinitionData } from './protocol.ts';
