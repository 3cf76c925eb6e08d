// The base class of an admission policy. Subclass it, override what the policy implements, say so
// with `implementsValidate` / `implementsMutate`, and register an instance:
//
//   class MyPolicy extends AdmissionPolicy {
//     constructor() { super(); this.implementsValidate = true; }
//     validate(req: AdmissionRequest): string | null { return req.label("team") == null ? "label team is required" : null; }
//   }
//   register(new MyPolicy());
import { AdmissionRequest } from "./types";

export class AdmissionPolicy {
  /** Does the policy validate / mutate? The host asks after `configure`, so configure may change them. */
  implementsValidate: bool = false;
  implementsMutate: bool = false;
  /** Set by deny() during mutate; read and cleared by the SDK. */
  denial: string | null = null;

  /** The Plugin object's spec.config as JSON ("{}" when none). Returns an error message to reject it, or null. */
  configure(config: string): string | null {
    return null;
  }

  /** null: allowed; otherwise the denial message the client sees. */
  validate(req: AdmissionRequest): string | null {
    return null;
  }

  /** null: unchanged; otherwise an RFC 6902 JSON patch (see JsonPatch). Call deny() to deny instead. */
  mutate(req: AdmissionRequest): string | null {
    return null;
  }

  /** Denies the request from mutate: `return this.deny("...")`. */
  deny(message: string): string | null {
    this.denial = message;
    return null;
  }
}
