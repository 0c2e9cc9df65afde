import { withCorrelation } from "../shared/index.js";
import type { Correlation, childLogger } from "../shared/index.js";

type Logger = ReturnType<typeof childLogger>;

/** How an action is logged when it fails: a fixed message and the fields that identify it. */
export interface ActionFailure {
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * The one executor of the reconciler's decided actions: performs each, logs each failure once (a fixed
 * message, the action's fields and `{ error }`) and counts it; a failure never stops the other actions.
 * `parallel` runs them together (independent calls to one API); otherwise one after another, in order.
 * Resolves to the number of failed actions.
 */
export async function execute<A>(
  actions: readonly A[],
  perform: (action: A) => Promise<void>,
  failure: (action: A) => ActionFailure,
  options: { readonly mode: "parallel" | "serial"; readonly log: Logger; readonly correlation?: (action: A) => Correlation },
): Promise<number> {
  let errors = 0;
  const run = (action: A): Promise<void> =>
    // Every line about one action carries the keys of what it acts on (an instance, its job).
    withCorrelation(options.correlation?.(action) ?? {}, async () => {
      try {
        await perform(action);
      } catch (error) {
        errors += 1;
        const { message, fields } = failure(action);
        options.log.error(message, { error, ...fields });
      }
    });
  if (options.mode === "parallel") await Promise.all(actions.map(run));
  else for (const action of actions) await run(action);
  return errors;
}
