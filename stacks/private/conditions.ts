import type { Construct } from "constructs";
import { Fn, Op, TerraformLocal, Token } from "../cdktf.js";

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

/** True when `value` is the empty string. `length(x) < 1` for tokens: cdktf renders `x == ""` as `x == undefined`. */
export function isEmptyString(value: string): boolean {
  if (!Token.isUnresolved(value)) return value === "";
  return Op.lt(Fn.lengthOf(value), 1) as unknown as boolean;
}

/** Every condition holds: a plain boolean when all are known at synth time, `a && b` otherwise. */
export function allOf(conditions: readonly boolean[]): boolean {
  if (conditions.some((c) => !Token.isUnresolved(c) && !c)) return false;
  const open = conditions.filter((c) => Token.isUnresolved(c));
  if (open.length === 0) return true;
  return open.reduce((a, b) => Op.and(a, b) as unknown as boolean);
}

/** True when the list has at least one element; `length(x) >= 1` for tokens (cdktf renders `> 0` as `> undefined`). */
export function isNonEmpty(list: readonly unknown[]): boolean {
  if (!Token.isUnresolved(list) && !list.some((v) => Token.isUnresolved(v))) return list.length > 0;
  return Op.gte(Fn.lengthOf(list), 1) as unknown as boolean;
}

/** `list` when `condition` holds, else an empty list: a `for_each` that creates nothing when off. */
export function listIf<T>(condition: boolean, list: T[]): T[] {
  if (!Token.isUnresolved(condition) && !Token.isUnresolved(list) && !list.some((v) => Token.isUnresolved(v))) return condition ? list : [];
  return Token.asAny(Fn.conditional(condition, list, [])) as unknown as T[];
}

/** `map` when `condition` holds, else an empty map: a `for_each` that creates nothing when off. */
export function mapIf<T>(condition: boolean, map: Record<string, T>): Record<string, T> {
  if (!Token.isUnresolved(condition) && !Token.isUnresolved(map)) return condition ? map : {};
  return Token.asAny(Fn.conditional(condition, map, {})) as unknown as Record<string, T>;
}

/** A condition known only at apply time becomes a local, so every `count` reads `local.x ? 1 : 0`. */
export function localCondition(scope: Construct, id: string, condition: boolean): boolean {
  return Token.isUnresolved(condition) ? (new TerraformLocal(scope, id, condition).asBoolean as unknown as boolean) : condition;
}

/** `contains(list, value)`: a plain boolean for literal lists. */
export function listContains(list: string[], value: string): boolean {
  if (!Token.isUnresolved(list) && !list.some((v) => Token.isUnresolved(v))) return list.includes(value);
  return Fn.contains(list, value) as unknown as boolean;
}

/** `a || b`: a plain boolean when both are known now. */
export function anyOf(a: boolean, b: boolean): boolean {
  if (!Token.isUnresolved(a) && a) return true;
  if (!Token.isUnresolved(b) && b) return true;
  if (!Token.isUnresolved(a) && !Token.isUnresolved(b)) return false;
  if (!Token.isUnresolved(a)) return b;
  if (!Token.isUnresolved(b)) return a;
  return Op.or(a, b) as unknown as boolean;
}
