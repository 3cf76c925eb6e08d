// {{name}}: a Skiff admission policy, in AssemblyScript.
//   Validate: denies objects without the label named by the config's "requiredLabel" (default "owner").
//   Mutate:   annotates what it admits with skiff.io/admitted-by: {{name}}.
import { AdmissionPolicy, AdmissionRequest, JsonPatch, Operation, jsonError, parseConfig, register } from "skiff";

class {{className}} extends AdmissionPolicy {
  requiredLabel: string = "owner";

  constructor() {
    super();
    this.implementsValidate = true;
    this.implementsMutate = true;
  }

  // config: the Plugin's spec.config as JSON; return an error message to reject it
  configure(config: string): string | null {
    const c = parseConfig(config);
    if (c === null) return jsonError();
    this.requiredLabel = c.getString("requiredLabel", "owner");
    return null;
  }

  // null: allowed; otherwise the message the client sees
  validate(req: AdmissionRequest): string | null {
    if (req.operation == Operation.Delete || req.label(this.requiredLabel) !== null) return null;
    return req.kind + " " + req.name + " is missing label " + this.requiredLabel;
  }

  // null: unchanged; otherwise a JSON patch (JsonPatch escapes keys and values)
  mutate(req: AdmissionRequest): string | null {
    if (req.operation != Operation.Create) return null;
    return new JsonPatch(req).setAnnotation("skiff.io/admitted-by", "{{name}}").toJson();
  }
}

register(new {{className}}());
