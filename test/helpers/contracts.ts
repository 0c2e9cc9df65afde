import type { EnvContract } from "../../contracts/env.js";

type Env = Record<string, string | undefined>;

/**
 * An environment for `contract` built from the contract itself: every required variable with its
 * documented example, then `overrides` (by variable name; `undefined` removes one). Tests build
 * environments this way so a renamed or added variable needs no fixture edit.
 */
export function sampleEnv(contract: EnvContract, overrides: Env = {}): Record<string, string> {
  const env: Record<string, string> = Object.fromEntries(
    Object.values(contract)
      .filter((variable) => variable.required)
      .map((variable) => [variable.name, variable.example]),
  );
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** The variable names of `contract`, by key: `names(SCALE_UP_ENV).maxRunnersTotal` is "MAX_RUNNERS_TOTAL". */
export function names<C extends EnvContract>(contract: C): { readonly [K in keyof C]: string } {
  return Object.fromEntries(Object.entries(contract).map(([key, variable]) => [key, variable.name])) as { readonly [K in keyof C]: string };
}
