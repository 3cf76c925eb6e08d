// Why a container gets no devices (the contract's DeviceAllocationError): the node lacks them
// (UnexpectedAdmissionError: the pod fails, as kubelet's admission fails it) or the plugin refused.
import type { devices } from '@skiff/node-api';

export class DeviceAllocationFailure extends Error implements devices.DeviceAllocationError {
  override readonly name = 'DeviceAllocationError' as const;
  constructor(
    readonly reason: devices.DeviceAllocationError['reason'],
    message: string,
  ) {
    super(message);
  }
}

