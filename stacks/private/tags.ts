import { Fn, Token } from "../cdktf.js";

/**
 * `{...base, ...extra}` that also works when `base` is a Terraform expression (the module's
 * `var.tags`): spreading a token would copy its internals, so tokens go through merge().
 */
export function mergeTags(base: Record<string, string> | undefined, extra: Record<string, string>): Record<string, string> {
  if (base !== undefined && Token.isUnresolved(base)) return Token.asStringMap(Fn.merge([base, extra]));
  return { ...(base ?? {}), ...extra };
}
