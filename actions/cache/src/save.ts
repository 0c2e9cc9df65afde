// The post step: actions/cache's saveImpl with its state provider. Failures are warnings, never a failed job.
import * as cache from "@actions/cache";
import * as core from "@actions/core";
import { INPUTS, STATE, inputAsArray, inputAsBool, inputAsInt, isExactKeyMatch, isValidEvent } from "./io.js";

export async function save(env: NodeJS.ProcessEnv): Promise<void> {
  // An upload that fails can surface as an uncaught exception from the toolkit's streams: warn, as actions/cache does.
  process.on("uncaughtException", (error) => core.warning(error.message));
  try {
    if (!cache.isFeatureAvailable() || !isValidEvent(env)) return;
    const primaryKey = core.getState(STATE.primaryKey) || core.getInput(INPUTS.key);
    if (!primaryKey) {
      core.warning("Key is not specified.");
      return;
    }
    if (isExactKeyMatch(primaryKey, core.getState(STATE.matchedKey))) {
      core.info(`Cache hit occurred on the primary key ${primaryKey}, not saving cache.`);
      return;
    }
    const paths = inputAsArray(INPUTS.path, { required: true });
    const cacheId = await cache.saveCache(paths, primaryKey, { uploadChunkSize: inputAsInt(INPUTS.uploadChunkSize) }, inputAsBool(INPUTS.enableCrossOsArchive));
    if (cacheId !== -1) core.info(`Cache saved with key: ${primaryKey}`);
  } catch (error) {
    core.warning((error as Error).message);
  }
}
