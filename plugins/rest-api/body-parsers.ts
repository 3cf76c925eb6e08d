// Request bodies as JSON values, with the door's limits: nesting depth (JSON, YAML, protobuf) and
// YAML aliases (no recursion, a bounded expansion). Every failure is a 400 BadRequest Status; a
// body nested deeper than Node's recursive code can follow never reaches it.
import { checkBodyDepth, errors, isStatusError } from '@skiff/kernel';
import { visit } from 'jsonc-parser';
import { decodeKubernetesProtobuf } from './protobuf/mod.ts';

export { parseYamlBody, yamlDuplicateFields } from './yaml-body.ts';

/** JSON text -> value; empty text is no body (undefined). */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text); // V8's JSON.parse does not recurse: any depth parses, then the depth is checked
  } catch (e) {
    throw errors.badRequest(`error decoding the request body as JSON: ${(e as Error).message}`);
  }
  checkBodyDepth(v);
  return v;
}

/**
 * Paths of the keys repeated in an object ("spec.replicas", "spec.containers[0].name") of JSON text
 * that parseJsonBody accepted (well-formed, nesting bounded: jsonc-parser's visitor recurses).
 */
export function jsonDuplicateFields(text: string): string[] {
  const out: string[] = [];
  const keys: Set<string>[] = [];
  visit(text, {
    onObjectBegin: () => void keys.push(new Set()),
    onObjectEnd: () => void keys.pop(),
    onObjectProperty: (property, _offset, _length, _line, _char, pathSupplier) => {
      const seen = keys[keys.length - 1]!;
      if (!seen.has(property)) return void seen.add(property);
      out.push([...pathSupplier(), property].reduce<string>((p, s) => (typeof s === 'number' ? `${p}[${s}]` : p ? `${p}.${s}` : s), ''));
    },
  });
  return out;
}

/** A Kubernetes protobuf body -> value. Anything the decoder throws that is not a Status is a 400. */
export function parseProtobufBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  let v: unknown;
  try {
    v = decodeKubernetesProtobuf(body);
  } catch (e) {
    if (isStatusError(e)) throw e;
    throw errors.badRequest(`error decoding the request body as protobuf: ${(e as Error).message}`);
  }
  checkBodyDepth(v);
  return v;
}
