import { getParameter } from "@aws-lambda-powertools/parameters/ssm";
import { SECRET_CACHE_SECONDS } from "./cache.js";
import { ParameterReadError } from "./errors.js";

/**
 * Reads an SSM SecureString, decrypted, cached in memory for {@link SECRET_CACHE_SECONDS} so warm
 * invocations do not call SSM, while a rotated secret is picked up within five minutes. `forceFetch`
 * reads SSM now and refreshes the cache.
 */
export async function getSecureString(name: string, options: { readonly forceFetch?: boolean } = {}): Promise<string> {
  let value: string | undefined;
  try {
    value = await getParameter(name, { decrypt: true, maxAge: SECRET_CACHE_SECONDS, forceFetch: options.forceFetch ?? false });
  } catch (error) {
    throw new ParameterReadError(name, { cause: error });
  }
  if (value === undefined || value === "") throw new ParameterReadError(name);
  return value;
}

/** Reads a plain String parameter, cached in memory for `maxAgeSeconds` (runtime switches). */
export async function getStringParameter(name: string, maxAgeSeconds: number): Promise<string> {
  let value: string | undefined;
  try {
    value = await getParameter(name, { maxAge: maxAgeSeconds });
  } catch (error) {
    throw new ParameterReadError(name, { cause: error });
  }
  if (value === undefined) throw new ParameterReadError(name);
  return value;
}
