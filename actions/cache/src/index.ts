// A drop-in actions/cache (see ../action.yml): the real @actions/cache, pointed at the runner's cache
// agent, so keys, restore-keys, versions and archives behave as actions/cache's by construction.
// One bundle for both steps; the main step leaves a state the post step sees (as actions/checkout does).
import * as core from "@actions/core";
import { STATE, pointAtAgent } from "./io.js";
import { restore } from "./restore.js";
import { save } from "./save.js";

const env = process.env;
const agent = pointAtAgent(env);
const isPost = core.getState(STATE.isPost) === "true";
if (!isPost && agent) core.info(`Cache service: the runner's cache agent at ${agent}`);

try {
  await (isPost ? save(env) : restore(env));
} catch (error) {
  core.setFailed((error as Error).message);
}
// @actions/cache may leave retried requests pending; everything we wait for has settled (actions/cache does the same).
process.exit(process.exitCode ?? 0);
