// @skiff/plugin-node-streams: `kubectl logs`, `exec`, `attach` and `port-forward` between the API
// server and the node agents, over NATS (protocol.ts); the agent side reads CRI log files and drives
// the runtime's streaming server (SPDY, framing from @skiff/client/api-frontend); the API side
// provides the PodStreams service (natsPodStreams, api-plugin.ts) the API front ends consume.
export { default } from './plugin.ts';
export { serveNodeStreams, type NodeStreamsOptions, type NodeStreamsServer } from './serve.ts';
export { openLogStream, openExecSession, openAttachSession, openPortForward, natsPodStreams, type LogParams, type ExecParams, type AttachParams, type PortForwardParams, type OpenOptions } from './client.ts';
export { podStreamsPlugin } from './api-plugin.ts';
export { Session, NodeStreamError, SessionEndedError, openSession, type SessionHandlers, type SessionOptions } from './session.ts';
export {
  subjects, nodeToken, failure, exitCodeOf, exitStatus, Stream, DEFAULT_WINDOW, OPEN_TIMEOUT_MS,
  type WireStatus, type EndMessage, type TerminalSize, type ControlMessage, type LogRequest, type ExecRequest, type AttachRequest, type PortForwardRequest,
} from './protocol.ts';
export { parseCriRecord, parseTimeNs, fixedNanoTime } from './cri-log.ts';
