import { describe, expect, it } from 'vitest';
import { isStatusError, MAX_BODY_DEPTH } from '@skiff/kernel';
import { parseJsonBody, parseProtobufBody, parseYamlBody } from './body-parsers.ts';

function fails(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (e) {
    if (!isStatusError(e)) throw e;
    return { code: e.code, message: e.message };
  }
  throw new Error('did not fail');
}

const jsonNest = (d: number) => '{"a":'.repeat(d) + '1' + '}'.repeat(d);
const jsonArr = (d: number) => '['.repeat(d) + ']'.repeat(d);

describe('JSON bodies', () => {
  it('parses up to the depth limit and refuses past it with 400', () => {
    expect(parseJsonBody(jsonNest(MAX_BODY_DEPTH))).toBeTruthy();
    expect(fails(() => parseJsonBody(jsonNest(MAX_BODY_DEPTH + 1)))).toMatchObject({ code: 400, message: expect.stringContaining('nested too deeply') });
  });
  it('refuses 10^5 and 10^6 levels with 400, quickly', () => {
    for (const d of [1e5, 1e6]) {
      const t0 = Date.now();
      expect(fails(() => parseJsonBody(jsonArr(d))).code).toBe(400);
      expect(fails(() => parseJsonBody(jsonNest(d))).code).toBe(400);
      expect(Date.now() - t0).toBeLessThan(10_000);
    }
  });
  it('empty is no body; malformed is 400', () => {
    expect(parseJsonBody('  ')).toBeUndefined();
    expect(fails(() => parseJsonBody('{"a":')).code).toBe(400);
  });
});

describe('YAML bodies', () => {
  it('parses ordinary documents and aliases within the budget', () => {
    expect(parseYamlBody('a: 1\nb: [x, y]\n')).toEqual({ a: 1, b: ['x', 'y'] });
    expect(parseYamlBody('a: &x {k: v}\nb: *x\n')).toEqual({ a: { k: 'v' }, b: { k: 'v' } });
    expect(parseYamlBody('')).toBeUndefined();
  });
  it('refuses deep flow, block and compact nesting with 400 before the composer sees it', () => {
    const deep = MAX_BODY_DEPTH + 1;
    const block = Array.from({ length: deep }, (_, i) => ' '.repeat(i) + 'a:').join('\n') + ' 1';
    for (const text of ['['.repeat(deep) + ']'.repeat(deep), '{a: '.repeat(deep) + '1' + '}'.repeat(deep), block, '- '.repeat(deep) + 'x', '['.repeat(1e5) + ']'.repeat(1e5), '['.repeat(1e6)]) {
      expect(fails(() => parseYamlBody(text))).toMatchObject({ code: 400 });
    }
    const ok = Array.from({ length: MAX_BODY_DEPTH }, (_, i) => ' '.repeat(i) + 'a:').join('\n') + ' 1';
    expect(parseYamlBody(ok)).toBeTruthy();
    expect(parseYamlBody('['.repeat(MAX_BODY_DEPTH) + ']'.repeat(MAX_BODY_DEPTH))).toBeTruthy();
  });
  it('refuses recursive aliases and billion laughs with 400', () => {
    expect(fails(() => parseYamlBody('&a [*a]')).code).toBe(400);
    expect(fails(() => parseYamlBody('a: &x\n  b: *x\n')).code).toBe(400);
    let s = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    let prev = 'a';
    for (const n of 'bcdefghi') {
      s += `${n}: &${n} [${Array(9).fill('*' + prev).join(',')}]\n`;
      prev = n;
    }
    const t0 = Date.now();
    expect(fails(() => parseYamlBody(s))).toMatchObject({ code: 400, message: expect.stringContaining('aliases') });
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
  it('refuses depth that only aliases create', () => {
    // each anchor nests the previous one 60 deeper: 5 of them are 300 levels
    let s = 'a0: &a0 1\n';
    for (let i = 1; i <= 5; i++) s += `a${i}: &a${i} ${'['.repeat(60)}*a${i - 1}${']'.repeat(60)}\n`;
    expect(fails(() => parseYamlBody(s)).code).toBe(400);
  });
  it('refuses several documents, duplicate keys and unknown aliases with 400', () => {
    expect(fails(() => parseYamlBody('a: 1\n---\nb: 2\n')).code).toBe(400);
    expect(fails(() => parseYamlBody('a: 1\na: 2\n')).code).toBe(400);
    expect(fails(() => parseYamlBody('a: *nope\n')).code).toBe(400);
  });
});

describe('protobuf bodies', () => {
  it('answers 400 for garbage, never a 500', () => {
    expect(fails(() => parseProtobufBody(Buffer.from('k8s\0\x0a\xff\xff\xff\xff\x0f', 'latin1'))).code).toBe(400);
    // a group field nested far deeper than the decoder's recursion survives
    const deep = Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0x12, 0x80, 0x80, 0x04]), Buffer.alloc(65536, 0x0b)]);
    expect(fails(() => parseProtobufBody(deep)).code).toBe(400);
    expect(parseProtobufBody(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('the YAML depth bound', async () => {
  const { yamlTextDepthExceeds } = await import('./yaml-body.ts');
  const { parse } = await import('yaml');
  const { depthExceeds } = await import('@skiff/kernel');
  const manifests = [
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  labels: {app: x}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: c\n        image: i\n        args: ["a", "b"]\n        env:\n        - name: A\n          value: "1"\n        ports:\n          - containerPort: 80\n',
    'a: |\n  lit\n      deeper text\n        more\nb: "q\n   r"\nc: >-\n  folded\n',
    '? complex\n: value\nlist:\n- - - x\n  - y\n- {a: [1, {b: c}]}\n',
  ];
  it('is never below the real depth', () => {
    for (const m of manifests) {
      const v = parse(m);
      for (let d = 1; d < 12; d++) if (depthExceeds(v, d)) expect(yamlTextDepthExceeds(m, d), `${m} at ${d}`).toBe(true);
    }
  });
  it('is close to the real depth for block structure', () => {
    // 8 levels (root, spec, template, spec, containers, [0], env, [0]); the map of each `- name:` line
    // whose map goes on below it is counted twice, so the bound says 10 (the parser gets 2x room)
    expect(yamlTextDepthExceeds(manifests[0]!, 10)).toBe(false);
    expect(yamlTextDepthExceeds(manifests[0]!, 7)).toBe(true);
    expect(yamlTextDepthExceeds(manifests[1]!, 1)).toBe(false);
  });
});

describe('numbers and keys JSON cannot carry', () => {
  it('a number past float64 is a 400 in JSON and YAML (.inf, .nan too); big finite ones parse', () => {
    for (const b of ['{"a":1e400}', '{"a":[-1e999]}', '1e400']) expect(fails(() => parseJsonBody(b))).toMatchObject({ code: 400, message: expect.stringContaining('out of range') });
    for (const b of ['a: .inf\n', 'a: [-.inf]\n', 'a: .nan\n', 'a: 1e400\n']) expect(fails(() => parseYamlBody(b))).toMatchObject({ code: 400, message: expect.stringContaining('out of range') });
    expect(parseJsonBody('{"a":1e300}')).toEqual({ a: 1e300 });
    expect(parseYamlBody('a: 1e300\n')).toEqual({ a: 1e300 });
  });
  it('a YAML mapping key that is a map or a list (or an alias of one) is a 400, not a stringified key and a process warning', () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      for (const b of ['? [complex, key]\n: v\n', '{a: 1}: v\n', 'x: &k [1]\n*k : v\n', 'data:\n  ? {a: b}\n  : c\n']) {
        expect(fails(() => parseYamlBody(b)), b).toMatchObject({ code: 400, message: expect.stringContaining('mapping key') });
      }
      expect(parseYamlBody('x: &k a\n*k : v\n')).toEqual({ x: 'a', a: 'v' });
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });
});
