import { createRequire } from "node:module";

/**
 * A vitest setup file (vitest.config.ts): cdktf's token creation stacks formatted by V8 itself.
 *
 * Why: cdktf records a full stack trace for every token it creates (Intrinsic, Lazy, dynamic blocks),
 * only to print it should the token later fail to resolve. Under vitest each trace goes through vite's
 * source-map interceptor (`Error.prepareStackTrace`), which maps every frame back to its source: measured,
 * about 45 % of a construct test's CPU. Here the trace is taken with the interceptor set aside: the same
 * frames, with positions in the transformed code instead of the `.ts` source. cdktf offers no switch
 * (`Testing.app({ stackTraces: false })` covers construct metadata, not tokens), so this is by hand.
 * Loading the module costs nothing: it is a few lines without imports.
 */
type CaptureStackTrace = (below?: (...args: never[]) => unknown) => string[];

const traces = createRequire(import.meta.url)("cdktf/lib/tokens/private/stack-trace.js") as { captureStackTrace: CaptureStackTrace };
const capture = traces.captureStackTrace;

traces.captureStackTrace = function captureWithoutSourceMaps(below) {
  const prepare = Error.prepareStackTrace;
  // V8's own formatting when none is installed (the property is optional at run time, not in @types/node).
  delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
  try {
    return capture(below ?? captureWithoutSourceMaps);
  } finally {
    Error.prepareStackTrace = prepare;
  }
};
