// Building the RFC 6902 JSON patch that mutate returns:
//
//   const patch = new JsonPatch(req);
//   if (req.label("env") == null) patch.setLabel("env", "dev");
//   return patch.toJson();   // null when there is nothing to change
import { AdmissionRequest } from "./types";

const HEX = "0123456789abcdef";

/** `s` as a JSON string literal, quotes included. */
export function jsonString(s: string): string {
  let out = '"';
  let chunk = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let esc: string | null = null;
    if (c == 0x22) esc = '\\"';
    else if (c == 0x5c) esc = "\\\\";
    else if (c == 0x0a) esc = "\\n";
    else if (c == 0x0d) esc = "\\r";
    else if (c == 0x09) esc = "\\t";
    else if (c < 0x20 || isLoneSurrogate(s, i, c)) esc = "\\u" + HEX.charAt((c >> 12) & 15) + HEX.charAt((c >> 8) & 15) + HEX.charAt((c >> 4) & 15) + HEX.charAt(c & 15);
    else if (c >= 0xd800 && c <= 0xdbff) i++; // a valid surrogate pair: keep both units
    if (esc !== null) {
      out += s.substring(chunk, i) + esc;
      chunk = i + 1;
    }
  }
  return out + s.substring(chunk) + '"';
}

/** A surrogate without its partner: escaped, since it has no UTF-8 form. */
function isLoneSurrogate(s: string, i: i32, c: i32): bool {
  if (c < 0xd800 || c > 0xdfff) return false;
  if (c >= 0xdc00) return true;
  const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
  return next < 0xdc00 || next > 0xdfff;
}

/** A JSON pointer reference token (RFC 6901): "~" -> "~0", "/" -> "~1". */
export function pointerToken(s: string): string {
  return s.replaceAll("~", "~0").replaceAll("/", "~1");
}

export class JsonPatch {
  private ops: string[] = [];
  private labelsCreated: bool = false;
  private annotationsCreated: bool = false;

  /** `request`: the object being patched (to know whether its labels / annotations map exists). */
  constructor(private request: AdmissionRequest) {}

  /** add `valueJson` (a JSON text) at `path` (a JSON pointer); on an existing member, add replaces it. */
  add(path: string, valueJson: string): JsonPatch {
    this.ops.push('{"op":"add","path":' + jsonString(path) + ',"value":' + valueJson + "}");
    return this;
  }

  /** replace the value at `path` (which must exist). */
  replace(path: string, valueJson: string): JsonPatch {
    this.ops.push('{"op":"replace","path":' + jsonString(path) + ',"value":' + valueJson + "}");
    return this;
  }

  remove(path: string): JsonPatch {
    this.ops.push('{"op":"remove","path":' + jsonString(path) + "}");
    return this;
  }

  /** Adds or replaces metadata.labels[key] (creating the labels map when the object has none). */
  setLabel(key: string, value: string): JsonPatch {
    if (this.request.labels.length == 0 && !this.labelsCreated) {
      this.add("/metadata/labels", "{}");
      this.labelsCreated = true;
    }
    return this.add("/metadata/labels/" + pointerToken(key), jsonString(value));
  }

  /** Adds or replaces metadata.annotations[key] (creating the annotations map when the object has none). */
  setAnnotation(key: string, value: string): JsonPatch {
    if (this.request.annotations.length == 0 && !this.annotationsCreated) {
      this.add("/metadata/annotations", "{}");
      this.annotationsCreated = true;
    }
    return this.add("/metadata/annotations/" + pointerToken(key), jsonString(value));
  }

  /** Removes metadata.labels[key] when the object has it. */
  removeLabel(key: string): JsonPatch {
    return this.request.label(key) === null ? this : this.remove("/metadata/labels/" + pointerToken(key));
  }

  /** Removes metadata.annotations[key] when the object has it. */
  removeAnnotation(key: string): JsonPatch {
    return this.request.annotation(key) === null ? this : this.remove("/metadata/annotations/" + pointerToken(key));
  }

  get isEmpty(): bool {
    return this.ops.length == 0;
  }

  /** The patch document, "[...]". */
  toString(): string {
    return "[" + this.ops.join(",") + "]";
  }

  /** The patch document, or null when there is nothing to change (what mutate returns). */
  toJson(): string | null {
    return this.ops.length == 0 ? null : this.toString();
  }
}
