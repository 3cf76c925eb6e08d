// Label policy for admission: validate denies objects that lack a required label; mutate adds
// default labels the object does not set.
// Config: {"required":["team"],"defaults":{"env":"dev"}} (both optional)
import { AdmissionPolicy, AdmissionRequest, JsonPatch, Operation, jsonError, parseConfig, register } from "skiff";

class LabelValidator extends AdmissionPolicy {
  required: string[] = [];
  defaultKeys: string[] = [];
  defaultValues: string[] = [];

  configure(config: string): string | null {
    const c = parseConfig(config);
    if (c === null) return jsonError();
    const required = c.get("required");
    if (required !== null && !required.isArray()) return "config: required must be an array of label names";
    this.required = c.getStrings("required");
    const defaults = c.get("defaults");
    this.defaultKeys = [];
    this.defaultValues = [];
    if (defaults !== null) {
      if (!defaults.isObject()) return "config: defaults must be an object of label values";
      for (let i = 0; i < defaults.keys.length; i++) {
        const value = unchecked(defaults.items[i]);
        if (!value.isString()) return "config: defaults." + unchecked(defaults.keys[i]) + " must be a string";
        this.defaultKeys.push(unchecked(defaults.keys[i]));
        this.defaultValues.push(value.str);
      }
    }
    this.implementsValidate = this.required.length > 0;
    this.implementsMutate = this.defaultKeys.length > 0;
    return null;
  }

  validate(req: AdmissionRequest): string | null {
    if (req.operation != Operation.Create && req.operation != Operation.Update) return null;
    let missing = new Array<string>();
    for (let i = 0; i < this.required.length; i++) {
      const key = unchecked(this.required[i]);
      if (req.label(key) === null) missing.push(key);
    }
    if (missing.length == 0) return null;
    return req.kind + " " + req.name + " is missing required label" + (missing.length > 1 ? "s " : " ") + missing.join(", ");
  }

  mutate(req: AdmissionRequest): string | null {
    if (req.operation != Operation.Create && req.operation != Operation.Update) return null;
    const patch = new JsonPatch(req);
    for (let i = 0; i < this.defaultKeys.length; i++) {
      const key = unchecked(this.defaultKeys[i]);
      if (req.label(key) === null) patch.setLabel(key, unchecked(this.defaultValues[i]));
    }
    return patch.toJson();
  }
}

register(new LabelValidator());
