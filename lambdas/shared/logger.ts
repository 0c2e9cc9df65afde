import { Logger } from "@aws-lambda-powertools/logger";
import { redactSecrets } from "./redact.js";

/**
 * The one Powertools logger of a function; service name and level come from POWERTOOLS_* env vars.
 * Every record goes through redactSecrets (tokens, keys, JIT configs, signatures never reach the logs).
 */
export const logger = new Logger({ jsonReplacerFn: redactSecrets });

/** A child logger per module: same settings and context, plus a `module` key. */
export function childLogger(name: string): Logger {
  return logger.createChild({ persistentKeys: { module: name } });
}
