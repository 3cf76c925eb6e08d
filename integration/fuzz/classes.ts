// Every class the fuzzer generates, with its share of the requests.
import type { FuzzCase, Generator } from './case.ts';
import { badUrlEncoding, namesInBodies, namesOnPaths, rawRequestLines } from './gen-names.ts';
import { deepNesting, malformedJson, malformedProtobuf, malformedYaml, storeLimit, wrongContentTypes, yamlAliases } from './gen-bodies.ts';
import { notAnObject, typeConfusion } from './gen-types.ts';
import { badJsonPatches, badMergePatches, expensiveJsonPatches, patchDirectives } from './gen-patches.ts';
import { badAuth, hugeHeaders, oversizeBodies, slowAndTruncated, unknownMethods } from './gen-protocol.ts';
import { badQueryParams, watchAbuse } from './gen-query.ts';

/**
 * Deleting the cluster's own namespaces: kube answers 403. Not in the random stream (a server that
 * allows it loses its leases in kube-system and the rest of the run would test something else): the
 * runner sends these last.
 */
export function protectedNamespaceCases(token: string): Omit<FuzzCase, 'id'>[] {
  return ['default', 'kube-system', 'kube-public'].map((ns) => ({ cls: 'protected-namespaces', note: `DELETE namespace ${ns}`, method: 'DELETE', path: `/api/v1/namespaces/${ns}`, headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, expect: 'reject' as const }));
}

export interface FuzzClass {
  name: string;
  /** relative share of the requests */
  weight: number;
  gen: Generator;
}

export const CLASSES: readonly FuzzClass[] = [
  { name: 'names-on-paths', weight: 8, gen: namesOnPaths },
  { name: 'names-in-bodies', weight: 8, gen: namesInBodies },
  { name: 'url-encoding', weight: 5, gen: badUrlEncoding },
  { name: 'raw-request-line', weight: 2, gen: rawRequestLines },
  { name: 'unknown-methods', weight: 4, gen: unknownMethods },
  { name: 'huge-headers', weight: 3, gen: hugeHeaders },
  { name: 'bad-auth', weight: 5, gen: badAuth },
  { name: 'oversize-body', weight: 0.4, gen: oversizeBodies },
  { name: 'store-limit', weight: 1, gen: storeLimit },
  { name: 'deep-nesting', weight: 3, gen: deepNesting },
  { name: 'yaml-aliases', weight: 3, gen: yamlAliases },
  { name: 'malformed-json', weight: 6, gen: malformedJson },
  { name: 'malformed-yaml', weight: 3, gen: malformedYaml },
  { name: 'malformed-protobuf', weight: 3, gen: malformedProtobuf },
  { name: 'content-types', weight: 5, gen: wrongContentTypes },
  { name: 'type-confusion', weight: 18, gen: typeConfusion },
  { name: 'not-an-object', weight: 2, gen: notAnObject },
  { name: 'patch-directives', weight: 4, gen: patchDirectives },
  { name: 'json-patch', weight: 4, gen: badJsonPatches },
  { name: 'json-patch-cost', weight: 1, gen: expensiveJsonPatches },
  { name: 'merge-patch', weight: 3, gen: badMergePatches },
  { name: 'query-params', weight: 7, gen: badQueryParams },
  { name: 'watch', weight: 4, gen: watchAbuse },
  { name: 'slow-truncated', weight: 0.3, gen: slowAndTruncated },
];

/** A class by weight. */
export function pickClass(r: number, classes: readonly FuzzClass[]): FuzzClass {
  const total = classes.reduce((s, c) => s + c.weight, 0);
  let x = r * total;
  for (const c of classes) {
    x -= c.weight;
    if (x < 0) return c;
  }
  return classes[classes.length - 1]!;
}
