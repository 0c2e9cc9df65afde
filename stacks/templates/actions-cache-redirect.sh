#!/bin/bash
# Points the Actions cache of every node action in a job at the runner's local cache agent
# (docs/build-cache-actions.md). Function definitions only: the runner bootstraps embed the file
# through a template variable (its text is inserted as is, so it holds no template syntax of its own)
# and call actions_cache_redirect; its test sources it.
#
# Why a binary patch: Runner.Worker sets ACTIONS_RESULTS_URL for each node and container action from
# the job's ResultsServiceUrl after it merged every other environment source (.env, GITHUB_ENV, step
# env), so no setting can override it. Renaming that one UTF-16 string literal in Runner.Worker.dll to
# ACTIONS_RESULTS_ORL (same length) makes the runner set a variable nobody reads, and the value from
# the runner's .env reaches the action instead. The literal must occur exactly once (the assembly's
# user-string heap holds each literal once); any other count means a runner this was not checked
# against, and the runner is left untouched: jobs then use GitHub's cache, as without the kit.

# actions_cache_redirect <runner dir> <agent URL> [<GitHub API URL>]
# Always records the agent URL in .env (the drop-in action actions/cache of this repository reads it);
# patches the worker and redirects ACTIONS_RESULTS_URL only for github.com (the API URL absent or
# https://api.github.com: the agent forwards artifact calls to github.com's results service, and on
# GitHub Enterprise Server @actions/cache speaks the v1 service the agent does not) and only when the
# check above passes.
# Returns 0 when redirected, 1 when not (with one line on stdout saying why).
actions_cache_redirect() {
  if _acr_redirect "$@"; then return 0; fi
  # Not redirected: no .env line may claim otherwise (the agent's --print-env lines included).
  _acr_env_unset "$1/.env" ACTIONS_RESULTS_URL
  _acr_env_unset "$1/.env" ACTIONS_CACHE_SERVICE_V2
  return 1
}

_acr_redirect() {
  local runner_dir=$1 agent_url=$2 api_url=${3:-https://api.github.com}
  local dll="$runner_dir/bin/Runner.Worker.dll" env_file="$runner_dir/.env"
  local original patched found renamed tmp
  [[ "$agent_url" == */ ]] || agent_url="$agent_url/"
  original=$(_acr_utf16 ACTIONS_RESULTS_URL)
  patched=$(_acr_utf16 ACTIONS_RESULTS_ORL)
  _acr_env_set "$env_file" SELF_RUNNERS_CACHE_URL "$agent_url"

  if [ "${api_url%/}" != https://api.github.com ]; then
    echo "actions cache redirect: $api_url is not github.com; jobs use their GitHub's cache"
    return 1
  fi
  if [ ! -f "$dll" ]; then
    echo "actions cache redirect: no $dll; jobs use GitHub's cache"
    return 1
  fi
  found=$(_acr_count "$original" "$dll")
  renamed=$(_acr_count "$patched" "$dll")
  if [ "$found" = 1 ] && [ "$renamed" = 0 ]; then
    # Patch a copy, check it, then swap it in: a runner never starts with a half-written assembly.
    tmp="$dll.redirect.$$"
    cp -p "$dll" "$tmp"
    LC_ALL=C sed -i "s/$original/$patched/" "$tmp"
    if [ "$(_acr_count "$original" "$tmp")" != 0 ] || [ "$(_acr_count "$patched" "$tmp")" != 1 ] ||
      [ "$(stat -c %s "$tmp")" != "$(stat -c %s "$dll")" ]; then
      rm -f "$tmp"
      echo "actions cache redirect: patching $dll failed its check; jobs use GitHub's cache"
      return 1
    fi
    mv -f "$tmp" "$dll"
  elif [ "$found" = 0 ] && [ "$renamed" = 1 ]; then
    : # already patched (a baked image, or a second boot of the same disk)
  else
    echo "actions cache redirect: Runner.Worker.dll has ACTIONS_RESULTS_URL $found times and ACTIONS_RESULTS_ORL $renamed times (a runner this kit has not checked); jobs use GitHub's cache"
    return 1
  fi
  _acr_env_set "$env_file" ACTIONS_RESULTS_URL "$agent_url"
  # The agent speaks the v2 cache service (twirp); @actions/cache chooses v2 only when this is set.
  _acr_env_set "$env_file" ACTIONS_CACHE_SERVICE_V2 true
  echo "actions cache redirect: node actions use $agent_url"
}

# The UTF-16LE bytes of an ASCII string as a sed/grep -P pattern (\xHH\x00 per character).
_acr_utf16() {
  local text=$1 i
  for ((i = 0; i < ${#text}; i++)); do printf '\\x%02X\\x00' "'${text:i:1}"; done
}

# How many times a pattern of _acr_utf16 occurs in a file (binary-safe; -o prints one line per match).
_acr_count() {
  { LC_ALL=C grep -obUaP "$1" "$2" || true; } | wc -l
}

_acr_env_unset() {
  local file=$1 name=$2 kept
  kept=$(grep -v "^$name=" "$file" || true)
  if [ -z "$kept" ]; then : > "$file"; else printf '%s\n' "$kept" > "$file"; fi
}

# Sets NAME=VALUE in the runner's .env, replacing an earlier line of that name (one line per name
# keeps the value unambiguous). Rewritten in place, so the file keeps its owner and mode.
_acr_env_set() {
  local file=$1 name=$2 value=$3 kept
  touch "$file"
  kept=$(grep -v "^$name=" "$file" || true)
  { [ -z "$kept" ] || printf '%s\n' "$kept"; printf '%s=%s\n' "$name" "$value"; } > "$file"
}
