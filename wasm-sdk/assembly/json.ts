// A small JSON reader for policy configs: objects, arrays, strings, numbers, booleans and null.
//
//   const config = parseJson(text);
//   const config = parseConfig(text); if (config === null) return jsonError();
//   const required = config.get("required");   // JsonValue | null
//   const weight = config.getNumber("weight", 1);

export enum JsonKind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  bool: bool = false;
  num: f64 = 0;
  str: string = "";
  /** array elements, or object member values (in `keys` order) */
  items: JsonValue[] = [];
  /** object member names */
  keys: string[] = [];

  isNull(): bool { return this.kind == JsonKind.Null; }
  isBool(): bool { return this.kind == JsonKind.Bool; }
  isNumber(): bool { return this.kind == JsonKind.Number; }
  isString(): bool { return this.kind == JsonKind.String; }
  isArray(): bool { return this.kind == JsonKind.Array; }
  isObject(): bool { return this.kind == JsonKind.Object; }

  /** elements of an array, members of an object */
  get length(): i32 { return this.items.length; }

  /** An array's element, or null. */
  at(i: i32): JsonValue | null {
    return this.kind == JsonKind.Array && i >= 0 && i < this.items.length ? unchecked(this.items[i]) : null;
  }

  /** An object's member (the last one when repeated, as JSON.parse), or null. */
  get(key: string): JsonValue | null {
    if (this.kind != JsonKind.Object) return null;
    for (let i = this.keys.length - 1; i >= 0; i--) if (unchecked(this.keys[i]) == key) return unchecked(this.items[i]);
    return null;
  }

  has(key: string): bool { return this.get(key) !== null; }

  /** A member's value when it is a string, else `fallback`. */
  getString(key: string, fallback: string = ""): string {
    const v = this.get(key);
    return v !== null && v.kind == JsonKind.String ? v.str : fallback;
  }

  /** A member's value when it is a number, else `fallback`. */
  getNumber(key: string, fallback: f64 = 0): f64 {
    const v = this.get(key);
    return v !== null && v.kind == JsonKind.Number ? v.num : fallback;
  }

  /** A member's value when it is a boolean, else `fallback`. */
  getBool(key: string, fallback: bool = false): bool {
    const v = this.get(key);
    return v !== null && v.kind == JsonKind.Bool ? v.bool : fallback;
  }

  /** The strings of an array member (other elements skipped); [] when missing. */
  getStrings(key: string): string[] {
    const out = new Array<string>();
    const v = this.get(key);
    if (v === null || v.kind != JsonKind.Array) return out;
    for (let i = 0; i < v.items.length; i++) {
      const e = unchecked(v.items[i]);
      if (e.kind == JsonKind.String) out.push(e.str);
    }
    return out;
  }
}

let lastError = "";

/** Why the last parseJson returned null. */
export function jsonError(): string {
  return lastError;
}

/** A policy's config: a JSON object, or null when it is not one (jsonError says why, "config: ..."). */
export function parseConfig(text: string): JsonValue | null {
  const v = parseJson(text);
  if (v === null) {
    lastError = "config: " + lastError;
    return null;
  }
  if (!v.isObject()) {
    lastError = "config: expected an object";
    return null;
  }
  return v;
}

/** Parses a JSON document; null on a syntax error (see jsonError). */
export function parseJson(text: string): JsonValue | null {
  const p = new Parser(text);
  p.skipSpace();
  const v = p.value(0);
  if (v !== null) {
    p.skipSpace();
    if (p.pos == text.length) return v;
    p.fail("unexpected data after the JSON value");
  }
  lastError = p.error;
  return null;
}

const MAX_DEPTH = 128;

class Parser {
  pos: i32 = 0;
  error: string = "";

  constructor(public s: string) {}

  fail(message: string): JsonValue | null {
    if (this.error.length == 0) this.error = message + " at offset " + this.pos.toString();
    return null;
  }

  @inline peek(): i32 {
    return this.pos < this.s.length ? this.s.charCodeAt(this.pos) : -1;
  }

  skipSpace(): void {
    let c = this.peek();
    while (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) c = this.s.charCodeAt(++this.pos);
  }

  value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail("JSON nested too deeply");
    const c = this.peek();
    if (c == 0x7b /* { */) return this.object(depth);
    if (c == 0x5b /* [ */) return this.array(depth);
    if (c == 0x22 /* " */) {
      const s = this.string();
      if (s === null) return null;
      const v = new JsonValue();
      v.kind = JsonKind.String;
      v.str = s;
      return v;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.word("true")) return boolValue(true);
    if (this.word("false")) return boolValue(false);
    if (this.word("null")) return new JsonValue();
    return this.fail(c < 0 ? "unexpected end of JSON" : "unexpected character");
  }

  word(w: string): bool {
    if (this.s.substr(this.pos, w.length) != w) return false;
    this.pos += w.length;
    return true;
  }

  object(depth: i32): JsonValue | null {
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    this.pos++;
    this.skipSpace();
    if (this.peek() == 0x7d /* } */) {
      this.pos++;
      return v;
    }
    while (true) {
      if (this.peek() != 0x22) return this.fail("expected a member name");
      const key = this.string();
      if (key === null) return null;
      this.skipSpace();
      if (this.peek() != 0x3a /* : */) return this.fail("expected ':'");
      this.pos++;
      this.skipSpace();
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.keys.push(key);
      v.items.push(item);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x7d) return v;
      if (c != 0x2c /* , */) return this.fail("expected ',' or '}'");
      this.skipSpace();
    }
  }

  array(depth: i32): JsonValue | null {
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    this.pos++;
    this.skipSpace();
    if (this.peek() == 0x5d /* ] */) {
      this.pos++;
      return v;
    }
    while (true) {
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.items.push(item);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x5d) return v;
      if (c != 0x2c) return this.fail("expected ',' or ']'");
      this.skipSpace();
    }
  }

  number(): JsonValue | null {
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    if (this.digits() == 0) return this.fail("expected a digit");
    if (this.peek() == 0x2e /* . */) {
      this.pos++;
      if (this.digits() == 0) return this.fail("expected a digit");
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      const sign = this.peek();
      if (sign == 0x2b || sign == 0x2d) this.pos++;
      if (this.digits() == 0) return this.fail("expected a digit");
    }
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.num = parseFloat(this.s.substring(start, this.pos));
    return v;
  }

  digits(): i32 {
    const start = this.pos;
    let c = this.peek();
    while (c >= 0x30 && c <= 0x39) {
      this.pos++;
      c = this.peek();
    }
    return this.pos - start;
  }

  /** A string literal (the cursor on its opening quote), unescaped; null on an error. */
  string(): string | null {
    const s = this.s;
    let i = ++this.pos;
    let out = "";
    let chunk = i;
    while (true) {
      if (i >= s.length) {
        this.pos = i;
        this.fail("unterminated string");
        return null;
      }
      const c = s.charCodeAt(i);
      if (c == 0x22) break;
      if (c < 0x20) {
        this.pos = i;
        this.fail("control character in a string");
        return null;
      }
      if (c != 0x5c /* \ */) {
        i++;
        continue;
      }
      out += s.substring(chunk, i);
      const esc = i + 1 < s.length ? s.charCodeAt(i + 1) : -1;
      i += 2;
      if (esc == 0x22) out += '"';
      else if (esc == 0x5c) out += "\\";
      else if (esc == 0x2f) out += "/";
      else if (esc == 0x62) out += "\b";
      else if (esc == 0x66) out += "\f";
      else if (esc == 0x6e) out += "\n";
      else if (esc == 0x72) out += "\r";
      else if (esc == 0x74) out += "\t";
      else if (esc == 0x75 /* u */) {
        const unit = hex4(s, i);
        if (unit < 0) {
          this.pos = i;
          this.fail("bad \\u escape");
          return null;
        }
        out += String.fromCharCode(unit);
        i += 4;
      } else {
        this.pos = i - 1;
        this.fail("bad escape");
        return null;
      }
      chunk = i;
    }
    this.pos = i + 1;
    const tail = s.substring(chunk, i);
    return out.length == 0 ? tail : out + tail;
  }
}

function boolValue(b: bool): JsonValue {
  const v = new JsonValue();
  v.kind = JsonKind.Bool;
  v.bool = b;
  return v;
}

/** Four hex digits at `at` as a UTF-16 code unit (surrogate pairs come as two escapes); -1 if not hex. */
function hex4(s: string, at: i32): i32 {
  if (at + 4 > s.length) return -1;
  let unit = 0;
  for (let k = 0; k < 4; k++) {
    const c = s.charCodeAt(at + k);
    let d: i32;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
    else return -1;
    unit = (unit << 4) | d;
  }
  return unit;
}
