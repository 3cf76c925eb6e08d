// @skiff/plugin-node-streams: `kubectl logs` and `kubectl exec` between the API server and the node
// agents, over NATS (protocol.ts); the agent side reads CRI log files and drives the runtime's
// streaming server (SPDY); the SPDY framing is shared with the API server's SPDY exec.
export { default } from './plugin.ts';
export { serveNodeStreams, type NodeStreamsOptions, type NodeStreamsServer } from './serve.ts';
export { openLogStream, openExecSession, type LogParams, type ExecParams, type OpenOptions } from './client.ts';
export { Session, NodeStreamError, SessionEndedError, openSession, type SessionHandlers, type SessionOptions } from './session.ts';
export {
  subjects, nodeToken, failure, exitCodeOf, exitStatus, Stream, DEFAULT_WINDOW, OPEN_TIMEOUT_MS,
  type WireStatus, type EndMessage, type TerminalSize, type ControlMessage, type LogRequest, type ExecRequest,
} from './protocol.ts';
export { SpdyConnection, SpdyStream, RstStatus, SPDY_DICTIONARY, type SpdyHeaders } from './spdy.ts';
export { parseCriRecord, parseTimeNs, fixedNanoTime } from './cri-log.ts';
