// Turning a CustomResourceDefinition into KindDefinitions, one per served version.
import type { ValidateFunction } from 'ajv';
import type { KObject } from '../../types.ts';
import { asArr, asObj, isObj, type Obj } from '../causes.ts';
import type { KindDefinition, PrinterColumn } from '../kind-definition.ts';
import { ajvErrorsToCauses, newAjv } from '../structural.ts';
import { listTypeErrors, prune, toAjvSchema } from './crd-schema.ts';
import { compileRules, evaluateRules } from './crd-cel.ts';
import { fullObjectMetaSchema } from '../patch-meta.ts';
import { safeDefault, safeValidate } from './helpers.ts';

const validating = newAjv();
const defaulting = newAjv({ useDefaults: true });

export function kindsFromCRD(crd: KObject): KindDefinition[] {
  const spec = asObj(crd.spec);
  if (!spec) return [];
  const names = asObj(spec.names) ?? {};
  const group = typeof spec.group === 'string' ? spec.group : '';
  const kind = typeof names.kind === 'string' ? names.kind : '';
  const plural = typeof names.plural === 'string' ? names.plural : '';
  if (!group || !kind || !plural) return [];
  const strs = (v: unknown) => asArr(v).filter((x): x is string => typeof x === 'string');
  const defs: KindDefinition[] = [];
  for (const v of asArr(spec.versions)) {
    if (!isObj(v) || v.served === false || typeof v.name !== 'string') continue;
    const raw = isObj(v.schema) ? asObj(v.schema.openAPIV3Schema) : undefined;
    const subres = asObj(v.subresources) ?? asObj(spec.subresources) ?? {};
    const sc = asObj(subres.scale);
    const scale =
      sc && typeof sc.specReplicasPath === 'string' && typeof sc.statusReplicasPath === 'string'
        ? { specReplicasPath: sc.specReplicasPath, statusReplicasPath: sc.statusReplicasPath, ...(typeof sc.labelSelectorPath === 'string' ? { labelSelectorPath: sc.labelSelectorPath } : {}) }
        : undefined;
    const columns: PrinterColumn[] = asArr(v.additionalPrinterColumns ?? spec.additionalPrinterColumns)
      .filter((c): c is Obj => isObj(c) && typeof c.name === 'string' && typeof c.jsonPath === 'string')
      .map((c) => ({
        name: c.name as string,
        type: typeof c.type === 'string' ? c.type : 'string',
        jsonPath: c.jsonPath as string,
        ...(typeof c.format === 'string' ? { format: c.format } : {}),
        ...(typeof c.description === 'string' ? { description: c.description } : {}),
        ...(typeof c.priority === 'number' ? { priority: c.priority } : {}),
      }));
    // selectableFields (kube 1.31): field selectors on string, integer and boolean fields, by JSON path
    const selectable = Object.fromEntries(
      asArr(v.selectableFields)
        .filter((f): f is Obj => isObj(f) && typeof f.jsonPath === 'string' && f.jsonPath.startsWith('.'))
        .map((f) => {
          const path = (f.jsonPath as string).slice(1);
          const keys = path.split('.');
          const getter = (o: KObject) => {
            let x: unknown = o;
            for (const k of keys) x = isObj(x) ? x[k] : undefined;
            return x === undefined || x === null ? '' : String(x);
          };
          return [path, getter];
        }),
    );
    let check: ValidateFunction | undefined;
    let fill: ValidateFunction | undefined;
    const schema: Obj | undefined = raw ? toAjvSchema(raw) : undefined;
    const rules = raw ? compileRules(raw) : undefined;
    if (schema) {
      check = validating.compile(schema);
      fill = defaulting.compile(schema);
    }
    defs.push({
      group,
      version: v.name,
      kind,
      resource: plural,
      singular: typeof names.singular === 'string' && names.singular ? names.singular : kind.toLowerCase(),
      ...(typeof names.listKind === 'string' && names.listKind ? { listKind: names.listKind } : {}),
      namespaced: spec.scope !== 'Cluster',
      shortNames: strs(names.shortNames),
      categories: strs(names.categories),
      subresources: [...(subres.status !== undefined ? ['status'] : []), ...(scale ? ['scale'] : [])],
      ...(scale ? { scale } : {}),
      ...(columns.length ? { printerColumns: columns } : {}),
      ...(Object.keys(selectable).length ? { selectableFields: selectable } : {}),
      // published as the version's OpenAPI (kubectl explain) and what fieldValidation checks against;
      // server-side apply follows its x-kubernetes-list-type / -map-type. ObjectMeta is kube's.
      ...(raw ? { schema: { ...raw, properties: { ...(isObj(raw.properties) ? raw.properties : {}), metadata: fullObjectMetaSchema } } } : {}),
      default: safeDefault((o) => {
        if (!raw || !fill) return;
        prune(o, raw);
        fill(o);
      }),
      validate: safeValidate((o, old) => {
        if (check && schema && !check(o)) return [...ajvErrorsToCauses(check.errors ?? [], schema, o), ...(raw ? listTypeErrors(raw, o, '') : [])];
        const dups = raw ? listTypeErrors(raw, o, '') : [];
        if (dups.length) return dups;
        // CEL rules run on objects that pass the schema (their values have the types rules expect)
        return rules && raw ? evaluateRules(rules, raw, o, old) : [];
      }),
    });
  }
  return defs;
}
