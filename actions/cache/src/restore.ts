// The main step: actions/cache's restoreImpl with its state provider, plus the restore action's two key outputs.
import * as cache from "@actions/cache";
import * as core from "@actions/core";
import { INPUTS, OUTPUTS, STATE, inputAsArray, inputAsBool, isExactKeyMatch, isValidEvent } from "./io.js";

export async function restore(env: NodeJS.ProcessEnv): Promise<void> {
  core.saveState(STATE.isPost, "true");
  if (!cache.isFeatureAvailable()) {
    core.warning("The cache service is not available (no ACTIONS_RESULTS_URL); caching is skipped.");
    core.setOutput(OUTPUTS.cacheHit, "false");
    return;
  }
  if (!isValidEvent(env)) {
    core.warning(`Event Validation Error: The event type ${env.GITHUB_EVENT_NAME ?? ""} is not supported because it's not tied to a branch or tag ref.`);
    return;
  }
  const primaryKey = core.getInput(INPUTS.key, { required: true });
  core.saveState(STATE.primaryKey, primaryKey);
  core.setOutput(OUTPUTS.primaryKey, primaryKey);
  const restoreKeys = inputAsArray(INPUTS.restoreKeys);
  const paths = inputAsArray(INPUTS.path, { required: true });
  const lookupOnly = inputAsBool(INPUTS.lookupOnly);
  const matchedKey = await cache.restoreCache(paths, primaryKey, restoreKeys, { lookupOnly }, inputAsBool(INPUTS.enableCrossOsArchive));
  if (!matchedKey) {
    // Like actions/cache, cache-hit stays unset on a miss (actions/cache#1466).
    if (inputAsBool(INPUTS.failOnCacheMiss)) {
      throw new Error(`Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: ${primaryKey}`);
    }
    core.info(`Cache not found for input keys: ${[primaryKey, ...restoreKeys].join(", ")}`);
    return;
  }
  core.saveState(STATE.matchedKey, matchedKey);
  core.setOutput(OUTPUTS.matchedKey, matchedKey);
  core.setOutput(OUTPUTS.cacheHit, String(isExactKeyMatch(primaryKey, matchedKey)));
  core.info(lookupOnly ? `Cache found and can be restored from key: ${matchedKey}` : `Cache restored from key: ${matchedKey}`);
}
