/**
 * FAULT_TRACE_CALLS=1, for finding where two runs of a scenario part: a line per DynamoDB call (its
 * body and answer), per random draw (its invocation and caller), per failed client request and per
 * client deadline fired. test/fault/determinism.test.ts writes them beside its dumps; diff two dumps
 * and the first differing line is the first divergence. Off (and free) otherwise.
 */
export const callTraceOn = process.env.FAULT_TRACE_CALLS === "1";

const lines: string[] = [];

export function traceCall(line: () => string): void {
  if (callTraceOn) lines.push(line());
}

/** The lines so far, and a fresh start. */
export function takeCallTrace(): string[] {
  return lines.splice(0);
}
