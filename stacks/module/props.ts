import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SelfRunnersValidationError, isUnresolved, type PropCheck } from "../errors.js";
import type { SelfRunnersProps } from "../self-runners-props.js";
import { INPUTS } from "./inputs.js";
import { propName } from "./input-spec.js";
import { CROSS_CHECKS } from "./cross-checks.js";

/**
 * The zips next to the code, found from this module rather than the working directory: `<repo>/dist`
 * (where `npm run build` leaves them) when run from the sources, `lib/dist` inside the npm package
 * (this file compiles to `lib/stacks/module/props.js`, and the package build copies the zips there).
 */
export const DEFAULT_DIST_DIR = fileURLToPath(new URL("../../dist", import.meta.url));

/** The directory of the zips: {@link DEFAULT_DIST_DIR}, or a given one resolved against the working directory. */
export function resolveDistDir(distDir: string | undefined): string {
  return distDir === undefined ? DEFAULT_DIST_DIR : resolve(distDir);
}

/**
 * The zips must be there when the construct is created (cdktf copies them into the synth output); the
 * shared layer stands for all of them, since one build writes them together.
 */
export const DIST_DIR_CHECK: PropCheck = {
  allowed: "a directory holding lambdas/<handler>.zip and layers/shared.zip: build them with npm run build:lambdas (the npm package ships them in lib/dist)",
  check: (value) => typeof value === "string" && existsSync(join(value, "layers", "shared.zip")),
};

/** SelfRunners props with every default of the input table filled in. */
export type ResolvedSelfRunnersProps = Required<SelfRunnersProps>;

/** True when a value, an item of a list or a value of a map is known only at apply time. */
function unknownNow(value: unknown): boolean {
  if (isUnresolved(value)) return true;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return Object.values(value).some((v) => isUnresolved(v));
  return false;
}

/**
 * Checks every prop known now against the input table's rules and the cross-field checks (values
 * known only at apply time are skipped: Terraform checks them), then fills in the table's defaults.
 * Throws {@link SelfRunnersValidationError} naming the construct path, the prop, the value and what
 * is allowed, in the same words as the module's validation messages.
 */
export function resolveSelfRunnersProps(constructPath: string, props: SelfRunnersProps): ResolvedSelfRunnersProps {
  const given = props as unknown as Record<string, unknown>;
  for (const input of INPUTS) {
    const prop = propName(input.name);
    const value = given[prop];
    if (value === undefined || unknownNow(value)) continue;
    for (const rule of input.rules ?? []) {
      if (!rule.check(value)) throw new SelfRunnersValidationError(constructPath, prop, value, rule.allowed);
    }
  }
  const resolved: Record<string, unknown> = { ...given, distDir: resolveDistDir(props.distDir) };
  for (const input of INPUTS) {
    const prop = propName(input.name);
    if (resolved[prop] === undefined && "default" in input) resolved[prop] = input.default;
  }
  for (const check of CROSS_CHECKS) {
    const values = check.props.map((prop) => resolved[prop]);
    if (values.some((v) => unknownNow(v))) continue;
    const failure = check.check(resolved as ResolvedSelfRunnersProps);
    if (failure !== undefined) throw new SelfRunnersValidationError(constructPath, failure.prop, resolved[failure.prop], failure.allowed);
  }
  return resolved as ResolvedSelfRunnersProps;
}
