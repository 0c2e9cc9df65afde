import { Tracer } from "@aws-lambda-powertools/tracer";
import { POWERTOOLS_ENV } from "../../contracts/common.js";
import { parseEnv } from "./config.js";

/**
 * The one Powertools Tracer of a function: on only when POWERTOOLS_TRACE_ENABLED is `true` (the
 * `enable_tracing` input, which also turns on the function's active tracing). Off, it does nothing.
 */
export const tracer = new Tracer({ enabled: parseEnv(POWERTOOLS_ENV).powertoolsTraceEnabled });

/** `client` with its calls recorded as X-Ray subsegments when tracing is on; the client itself otherwise. */
export function traced<T>(client: T): T {
  return tracer.captureAWSv3Client(client);
}
