// Skiff's AssemblyScript SDK for WebAssembly policies. A policy file imports it as "skiff":
//
//   import { SchedulerPolicy, Pod, Node, register } from "skiff";
//
// `buildComponent` (wasm-sdk/build.ts) compiles the file together with the exports of its world.
import "./abort";

export { AdmissionPolicy } from "./admission";
export { JsonKind, JsonValue, jsonError, parseConfig, parseJson } from "./json";
export { JsonPatch, jsonString, pointerToken } from "./patch";
export { register } from "./registry";
export { REASON_SEPARATOR, SchedulerPolicy, joinReasons } from "./scheduler";
export {
  AdmissionRequest,
  Label,
  Node,
  Operation,
  Pod,
  Quantity,
  Resources,
  Taint,
  TaintEffect,
  Toleration,
  findLabel,
} from "./types";
