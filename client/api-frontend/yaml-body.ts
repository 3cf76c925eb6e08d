// YAML request bodies as JSON values, with the door's limits (shared by the API front ends). The yaml package's composer and toJS
// recurse (they overflow the stack past ~800 levels, and 10^4 levels of flow sequences have crashed
// the process in V8's regexp compiler while it reported that), so the depth is known before they
// run: a cheap bound from the lexer (stops at the first excess), then the exact nesting of the
// syntax tree, then the nesting of the value once aliases are expanded. Aliases are counted with
// the size of what they stand for (maxAliasCount), so "billion laughs" stops early.
import { Composer, isAlias, isCollection, isMap, isScalar, isSeq, Lexer, Parser, visit, type Document } from 'yaml';
import { depthExceeds, errors, hasNonFiniteNumber, isStatusError, MAX_BODY_DEPTH, MAX_YAML_ALIAS_COUNT } from '@skiff/kernel';

const SCALAR = '\u001f';

/**
 * An upper bound of the nesting of `text`, from lexer tokens: flow brackets, plus the block
 * indicators (`-`, `?`, `:`) of the current line and of each less indented line above it. Returns
 * true as soon as the bound passes `max`, so a 3 MB run of `[` or `- ` costs a few milliseconds.
 */
export function yamlTextDepthExceeds(text: string, max: number): boolean {
  const stack: { indent: number; weight: number; dash: boolean }[] = [];
  let above = 0; // sum of the stack's weights
  let flow = 0;
  let indent = 0;
  let weight = 0; // indicators on this line
  let content = false; // this line has had something besides indentation and comments
  let dash = false; // this line starts with a sequence indicator
  let prev = '';
  for (const tok of new Lexer().lex(text)) {
    const scalarSource = prev === SCALAR;
    prev = tok;
    if (scalarSource) {
      if (!content) startLine(false);
      continue;
    }
    if (tok === '\n') {
      if (content && flow === 0) {
        stack.push({ indent, weight, dash });
        above += weight;
      }
      indent = 0;
      weight = 0;
      content = false;
      continue;
    }
    if (tok === '---' || tok === '...') {
      stack.length = 0;
      above = 0;
      flow = 0;
      continue;
    }
    if (tok === SCALAR || tok.startsWith('#') || tok.startsWith('%') || tok.length === 1 && tok < ' ') continue;
    if (/^[ \t]+$/.test(tok)) {
      if (!content) indent = tok.length;
      continue;
    }
    if (!content) startLine(tok === '-');
    if (tok === '[' || tok === '{') flow++;
    else if (tok === ']' || tok === '}') flow = Math.max(0, flow - 1);
    else if (flow === 0 && (tok === '-' || tok === '?' || tok === ':')) weight++;
    if (above + weight + flow > max) return true;
  }
  return false;

  function startLine(seqItem: boolean): void {
    content = true;
    dash = seqItem;
    if (flow > 0) return; // a flow collection over several lines: its lines are not block structure
    // lines as indented or more are done with; but `key:` followed by `- item` at the same
    // indentation is the item's parent (the usual style of Kubernetes manifests)
    for (let top = stack[stack.length - 1]; top && (top.indent > indent || (top.indent === indent && (!seqItem || top.dash))); top = stack[stack.length - 1]) {
      above -= stack.pop()!.weight;
    }
  }
}

type CstNode = { type?: string; value?: unknown; key?: unknown; items?: { key?: unknown; value?: unknown }[] };
const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/** Nesting of the YAML syntax tree (the yaml package's CST parser is iterative; its composer is not). */
function cstDepthExceeds(tokens: readonly unknown[], max: number): boolean {
  const stack: [CstNode, number][] = tokens.map((t) => [t as CstNode, 0]);
  while (stack.length) {
    const [t, d0] = stack.pop()!;
    if (t === null || typeof t !== 'object') continue;
    const d = COLLECTIONS.has(t.type ?? '') ? d0 + 1 : d0;
    if (d > max) return true;
    if (t.value && typeof t.value === 'object') stack.push([t.value as CstNode, d]);
    for (const it of t.items ?? []) {
      if (it.key && typeof it.key === 'object') stack.push([it.key as CstNode, d]);
      if (it.value && typeof it.value === 'object') stack.push([it.value as CstNode, d]);
    }
  }
  return false;
}

/**
 * YAML text (one document) -> value; every failure a 400 Status. A duplicate key is an error unless
 * `duplicateKeys` (fieldValidation decides: yamlDuplicateFields reports them; the last one wins).
 */
export function parseYamlBody(text: string, duplicateKeys = false): unknown {
  const bad = (why: string) => errors.badRequest(`error decoding the request body as YAML: ${why}`);
  const tooDeep = () => errors.badRequest(`the request body is nested too deeply: more than ${MAX_BODY_DEPTH} levels of objects and arrays`);
  // the bound may count a level or two more than there are: leave it room, the syntax tree is exact
  if (yamlTextDepthExceeds(text, 2 * MAX_BODY_DEPTH)) throw tooDeep();
  let tokens: unknown[];
  try {
    tokens = [...new Parser().parse(text)];
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (cstDepthExceeds(tokens, MAX_BODY_DEPTH)) throw tooDeep();
  let value: unknown;
  try {
    const docs = [...new Composer({ uniqueKeys: !duplicateKeys }).compose(tokens as never)];
    if (docs.length === 0) return undefined;
    if (docs.length > 1) throw bad(`the body holds ${docs.length} YAML documents; send one`);
    const doc = docs[0]!;
    if (doc.errors.length) throw bad(doc.errors[0]!.message.split('\n')[0]!);
    if (collectionKey(doc)) throw bad('a mapping key is a map or a list: JSON keys are strings');
    // toJS would print a process warning per odd key it stringifies: an attacker's log spam
    doc.options.logLevel = 'error';
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT });
  } catch (e) {
    if (isStatusError(e)) throw e;
    const m = (e as Error).message.split('\n')[0]!;
    throw bad(/alias count/i.test(m) ? `too many aliases: the expansion of aliases is limited to ${MAX_YAML_ALIAS_COUNT} nodes (${m})` : m);
  }
  // aliases can nest what the text does not (and a recursive alias makes a cycle, which is infinitely deep)
  if (depthExceeds(value, MAX_BODY_DEPTH, true)) {
    throw errors.badRequest(`the request body is nested too deeply once its YAML aliases are expanded (or an alias refers to itself): more than ${MAX_BODY_DEPTH} levels`);
  }
  // .inf, .nan, 1e400: no JSON number (kube cannot convert the YAML to JSON)
  if (hasNonFiniteNumber(value, true)) throw bad('a number out of range (.inf, .nan, or past ±1.8e308): JSON has no such number');
  return value;
}

/** Whether a mapping key is a collection (`? [a, b]: x`, `{a: 1}: x`, or an alias of one): kube's YAML-to-JSON conversion refuses it. */
function collectionKey(doc: Document.Parsed): boolean {
  let found = false;
  visit(doc, {
    Pair(_, pair) {
      const k = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
      if (isCollection(k)) {
        found = true;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** Paths of the keys repeated in a mapping ("spec.replicas", "spec.containers[0].name") of a YAML body parseYamlBody accepted. */
export function yamlDuplicateFields(text: string): string[] {
  const out: string[] = [];
  const doc = new Composer({ uniqueKeys: false }).compose([...new Parser().parse(text)] as never).next().value as Document.Parsed | undefined;
  const walk = (node: unknown, path: string): void => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const at = path ? `${path}.${key}` : key;
        if (seen.has(key)) out.push(at);
        seen.add(key);
        walk(pair.value, at);
      }
    } else if (isSeq(node)) node.items.forEach((item, i) => walk(item, `${path}[${i}]`));
  };
  if (doc) walk(doc.contents, '');
  return out;
}
