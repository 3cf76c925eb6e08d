import { describe, expect, it } from 'vitest';
import { importsOf, packageOf } from './bundle.ts';

describe('bundle imports', () => {
  it('finds the packages an esbuild bundle imports, and not strings that look like imports', () => {
    const src = [
      "import { createRequire as __r } from 'module'; const require = __r(import.meta.url);",
      'import { Ajv } from "ajv";',
      'import "reflect-metadata";',
      'import {',
      '  a,',
      '  b',
      '} from "@nats-io/kv/internal";',
      'export * from "@scope/re-export";',
      'import { readFile } from "node:fs";',
      'const x = require("fastify");',
      '  const { transpile } = await import("@bytecodealliance/jco");',
      '  const src = `export * from "skiff/scheduler-exports";`;',
      'import { y } from "./local.mjs";',
    ].join('\n');
    expect(importsOf(src)).toEqual({
      static: ['@nats-io/kv', '@scope/re-export', 'ajv', 'fastify', 'reflect-metadata'],
      dynamic: ['@bytecodealliance/jco'],
    });
  });

  it('names packages', () => {
    expect(packageOf('@a/b/c')).toBe('@a/b');
    expect(packageOf('yaml/util')).toBe('yaml');
    expect(packageOf('fs')).toBeNull();
    expect(packageOf('node:fs')).toBeNull();
    expect(packageOf('./x.mjs')).toBeNull();
  });
});
