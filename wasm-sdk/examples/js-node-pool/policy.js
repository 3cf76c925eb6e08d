// A scheduler policy in plain JavaScript (componentize-js): only nodes of the configured pool fit,
// and emptier nodes score higher. The module exports the world's functions in camelCase and takes /
// returns the same JS values as jco's host glue (records as objects, s64 as BigInt, list<u32> as a
// Uint32Array or array). Returning normally is `ok`; throwing a string is `err` (configure).
// Config: {"pool":"general","label":"skiff.io/pool"}

const nodes = new Map(); // slot -> node
let label = 'skiff.io/pool';
let pool = 'general';
let reason = '';

export function configure(config) {
  let c;
  try {
    c = JSON.parse(config);
  } catch (e) {
    throw `config: ${e.message}`;
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw 'config: expected an object';
  label = typeof c.label === 'string' ? c.label : 'skiff.io/pool';
  pool = typeof c.pool === 'string' ? c.pool : 'general';
  reason = `node(s) are not in pool ${pool}`;
  return { filter: true, score: true };
}

export function updateNodes(updates) {
  for (const u of updates) {
    if (u.node) nodes.set(u.slot, u.node);
    else nodes.delete(u.slot);
  }
}

export function updateUsage(usage) {
  for (const u of usage) {
    const n = nodes.get(u.slot);
    if (n) {
      n.requested = u.requested;
      n.podCount = u.podCount;
    }
  }
}

const inPool = (node) => node.labels.some((l) => l.key === label && l.value === pool);

export function filter(pod, slots) {
  const verdicts = new Uint8Array(slots.length);
  for (let i = 0; i < slots.length; i++) verdicts[i] = inPool(nodes.get(slots[i])) ? 0 : 1;
  return { verdicts, reasons: [{ message: reason, unresolvable: true }] };
}

export function filterScore(pod, slots) {
  const f = filter(pod, slots);
  const s = score(pod, slots);
  for (let i = 0; i < slots.length; i++) if (f.verdicts[i] !== 0) s[i] = 0;
  return { filter: f, scores: s };
}

export function score(pod, slots) {
  const scores = new Int32Array(slots.length);
  for (let i = 0; i < slots.length; i++) {
    const n = nodes.get(slots[i]);
    const max = Number(n.allocatable.pods);
    scores[i] = max > 0 ? Math.max(0, Math.trunc(100 - (n.podCount * 100) / max)) : 0;
  }
  return scores;
}
