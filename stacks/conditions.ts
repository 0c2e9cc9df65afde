import { Fn, Token } from "./cdktf.js";

/**
 * A resource `count` of 1 when `condition` holds and 0 otherwise: a plain number when the condition
 * is known at synth time (CDKTF users), a Terraform expression when it is a variable (the module).
 */
export function countIf(condition: boolean): number {
  if (!Token.isUnresolved(condition)) return condition ? 1 : 0;
  return Token.asNumber(Fn.conditional(condition, 1, 0));
}

/** `count` of 1 when the list is non-empty. `min(length(x), 1)` sidesteps cdktf rendering `> 0` as `> undefined`. */
export function countIfNotEmpty(list: string[]): number {
  if (!Token.isUnresolved(list) && !list.some((v) => Token.isUnresolved(v))) return list.length > 0 ? 1 : 0;
  return Token.asNumber(Fn.min([Fn.lengthOf(list), 1]));
}
