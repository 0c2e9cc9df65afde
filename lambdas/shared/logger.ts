import { Logger } from "@aws-lambda-powertools/logger";

/** The one Powertools logger of a function; service name and level come from POWERTOOLS_* env vars. */
export const logger = new Logger();

/** A child logger per module: same settings and context, plus a `module` key. */
export function childLogger(name: string): Logger {
  return logger.createChild({ persistentKeys: { module: name } });
}
