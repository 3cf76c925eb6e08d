// What artifact names and digests look like (pure: shared by the artifact store and the Plugin schema).

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const MAX_NAME = 255;

/** Whether `s` is a `sha256:<64 lower-case hex>` digest. */
export function isArtifactDigest(s: unknown): s is string {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

/** Problems with an artifact name (empty when fine): 1-255 of `A-Z a-z 0-9 . _ / -`, starting alphanumeric. */
export function artifactNameErrors(name: string): string[] {
  if (name.length === 0) return ['must not be empty'];
  const out: string[] = [];
  if (name.length > MAX_NAME) out.push(`must be no more than ${MAX_NAME} characters`);
  if (!NAME_RE.test(name)) out.push("must consist of alphanumeric characters, '.', '_', '/' or '-', and start with an alphanumeric character");
  return out;
}
