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
 * With `parsed` (what JSON.parse made of the text), a body with as many members in its text as in
 * the value has no repeated key (JSON.parse keeps one member per key), and is not visited.
 */
export function jsonDuplicateFields(text: string, parsed?: unknown): string[] {
  if (parsed !== undefined && jsonTextMembers(text) === valueMembers(parsed)) return [];
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

/** Object members in well-formed JSON text: the strings followed by ':'. */
function jsonTextMembers(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== 0x22) continue;
    for (i++; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x5c) i++; // an escape: skip the escaped character
      else if (c === 0x22) break;
    }
    let j = i + 1;
    for (let c = text.charCodeAt(j); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = text.charCodeAt(++j));
    if (text.charCodeAt(j) === 0x3a) n++;
    i = j - 1;
  }
  return n;
}

/** Object members in a JSON value, all levels (no recursion: the value's depth is the body's). */
function valueMembers(value: unknown): number {
  let n = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else
      for (const k in v) {
        n++;
        stack.push((v as Record<string, unknown>)[k]);
      }
  }
  return n;
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
