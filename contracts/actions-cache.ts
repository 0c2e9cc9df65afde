/**
 * How GitHub Actions' own cache client (`@actions/cache`, behind actions/cache, setup-node/-python/-go
 * caches, Buildx `type=gha`) reaches the runner's cache agent (issue 16; docs/build-cache-actions.md).
 * The redirect fragment (stacks/templates/actions-cache-redirect.sh), the drop-in action
 * (actions/cache/) and their tests use these names.
 */

/** Set in the runner's `.env` by the bootstrap: the agent's base URL for the Actions cache (v2 twirp), with a trailing slash. */
export const ACTIONS_CACHE_AGENT_URL_VAR = "SELF_RUNNERS_CACHE_URL";

/** What the runner sets for each node and container action, and `@actions/cache` reads (v2: the cache service's base URL). */
export const ACTIONS_RESULTS_URL_VAR = "ACTIONS_RESULTS_URL";

/** The name the patched Runner.Worker.dll sets instead (same length, so the assembly stays valid). */
export const ACTIONS_RESULTS_URL_RENAMED = "ACTIONS_RESULTS_ORL";

/** What the runner sets for the v1 cache service, which `@actions/cache` speaks on GitHub Enterprise Server. */
export const ACTIONS_CACHE_URL_VAR = "ACTIONS_CACHE_URL";

/** The name the patched Runner.Worker.dll sets instead on GitHub Enterprise Server runners. */
export const ACTIONS_CACHE_URL_RENAMED = "ACTIONS_CACHE_ORL";

/** `@actions/cache` speaks the v2 cache service (twirp on ACTIONS_RESULTS_URL) only when this is set. */
export const ACTIONS_CACHE_SERVICE_V2_VAR = "ACTIONS_CACHE_SERVICE_V2";

/** Where the Actions runner keeps the assembly the redirect patches, relative to the runner's directory. */
export const RUNNER_WORKER_ASSEMBLY = "bin/Runner.Worker.dll";

/**
 * Runner releases whose source was checked: `ACTIONS_RESULTS_URL` and `ACTIONS_CACHE_URL` are each one
 * string literal of Runner.Worker, assigned only in NodeScriptActionHandler and ContainerActionHandler
 * after the environment merge. The boot-time check (the literal occurs exactly once in the assembly) guards
 * every other release.
 */
export const ACTIONS_CACHE_REDIRECT_CHECKED_RUNNERS = ["2.329.0", "2.330.0", "2.331.0", "2.332.0", "2.333.0", "2.333.1", "2.334.0", "2.335.0", "2.335.1", "2.336.0"] as const;

/**
 * GitHub's results service for github.com: where the agent forwards the results-service calls that are
 * not the cache's (artifacts v4), which reach it once the runner is redirected.
 */
export const GITHUB_RESULTS_SERVICE_URL = "https://results-receiver.actions.githubusercontent.com/";
