// @skiff/node-api/testing: implementations of the contracts for tests and simulations — the
// in-memory CRI runtime the kubelet's unit tests and hollow nodes run on (as k8s.io/cri-api ships
// its FakeRuntimeService beside the interfaces, for kubelet tests and kubemark).
export { FakeRuntime, type FakeRuntimeOptions, type ContainerBehaviour, type FakeContainerInfo } from './fake/runtime.ts';
export { FakeImages, imageIdOf, type Registry } from './fake/images.ts';
export { IpPool } from './fake/ip-pool.ts';
export { FakeCsiDriver, FakeCsiDrivers, FakeCsiError, type FakeCsiDriverOptions, type FakeCsiCall } from './fake/csi-driver.ts';
