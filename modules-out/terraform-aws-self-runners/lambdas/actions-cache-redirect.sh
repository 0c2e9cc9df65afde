#!/bin/bash
# Points the Actions cache of every node action in a job at the runner's local cache agent
# (docs/build-cache-actions.md). Function definitions only: the runner bootstraps embed the file
# through a template variable (its text is inserted as is, so it holds no template syntax of its own)
# and call actions_cache_redirect; its test sources it.
#
# Why a binary patch: Runner.Worker sets ACTIONS_RESULTS_URL (and ACTIONS_CACHE_URL) for each node and
# container action from the job's service URLs after it merged every other environment source (.env,
# GITHUB_ENV, step env), so no setting can override them. Renaming one of those UTF-16 string literals
# in Runner.Worker.dll (URL -> ORL, same length) makes the runner set a variable nobody reads, and the
# value from the runner's .env reaches the action instead. The literal must occur exactly once (the
# assembly's user-string heap holds each literal once); any other count means a runner this was not
# checked against, and the runner is left untouched: jobs then use GitHub's cache, as without the kit.

# actions_cache_redirect <runner dir> <agent URL> [<GitHub API URL>]
# Always records the agent URL in .env (the drop-in action actions/cache of this repository reads it).
# github.com (no API URL, or https://api.github.com): @actions/cache speaks the v2 service at
#   ACTIONS_RESULTS_URL, which is redirected (the agent forwards the artifact calls it also receives to
#   github.com's results service).
# GitHub Enterprise Server (any other API URL): @actions/cache speaks v1 at ACTIONS_CACHE_URL, which is
#   redirected; the results service (artifacts) stays the server's.
# GHE.com (https://api.<tenant>.ghe.com): not redirected; the agent does not know the tenant's results
#   service to forward artifact calls to.
# Returns 0 when redirected, 1 when not (with one line on stdout saying why).
actions_cache_redirect() {
  if _acr_redirect "$@"; then return 0; fi
  # Not redirected: no .env line may claim otherwise (the agent's --print-env lines included).
  _acr_env_unset "$1/.env" ACTIONS_RESULTS_URL ACTIONS_CACHE_SERVICE_V2 ACTIONS_CACHE_URL
  return 1
}

_acr_redirect() {
  local runner_dir=$1 agent_url=$2 api_url=${3:-https://api.github.com}
  local env_file="$runner_dir/.env"
  [[ "$agent_url" == */ ]] || agent_url="$agent_url/"
  _acr_env_set "$env_file" SELF_RUNNERS_CACHE_URL "$agent_url"
  case "${api_url%/}" in
    https://api.github.com)
      _acr_rename "$runner_dir/bin/Runner.Worker.dll" ACTIONS_RESULTS_URL ACTIONS_RESULTS_ORL || return 1
      _acr_env_unset "$env_file" ACTIONS_CACHE_URL
      _acr_env_set "$env_file" ACTIONS_RESULTS_URL "$agent_url"
      # @actions/cache chooses the v2 service only when this is set.
      _acr_env_set "$env_file" ACTIONS_CACHE_SERVICE_V2 true
      ;;
    https://api.*.ghe.com)
      echo "actions cache redirect: $api_url is GHE.com; jobs use its cache"
      return 1
      ;;
    *)
      _acr_rename "$runner_dir/bin/Runner.Worker.dll" ACTIONS_CACHE_URL ACTIONS_CACHE_ORL || return 1
      _acr_env_unset "$env_file" ACTIONS_RESULTS_URL ACTIONS_CACHE_SERVICE_V2
      _acr_env_set "$env_file" ACTIONS_CACHE_URL "$agent_url"
      ;;
  esac
  echo "actions cache redirect: node actions use $agent_url"
}

# _acr_rename <assembly> <NAME> <RENAMED>: renames the one UTF-16 literal NAME to RENAMED (same length),
# or finds it already renamed. Returns 1, changing nothing, for any other layout.
_acr_rename() {
  local dll=$1 name=$2 renamed=$3 from to found present tmp
  if [ ! -f "$dll" ]; then
    echo "actions cache redirect: no $dll; jobs use GitHub's cache"
    return 1
  fi
  from=$(_acr_utf16 "$name")
  to=$(_acr_utf16 "$renamed")
  found=$(_acr_count "$from" "$dll")
  present=$(_acr_count "$to" "$dll")
  if [ "$found" = 0 ] && [ "$present" = 1 ]; then return 0; fi # a baked image, or a second boot of the disk
  if [ "$found" != 1 ] || [ "$present" != 0 ]; then
    echo "actions cache redirect: Runner.Worker.dll has $name $found times and $renamed $present times (a runner this kit has not checked); jobs use GitHub's cache"
    return 1
  fi
  # Patch a copy, check it, then swap it in: a runner never starts with a half-written assembly.
  tmp="$dll.redirect.$$"
  cp -p "$dll" "$tmp"
  LC_ALL=C sed -i "s/$from/$to/" "$tmp"
  if [ "$(_acr_count "$from" "$tmp")" != 0 ] || [ "$(_acr_count "$to" "$tmp")" != 1 ] || [ "$(stat -c %s "$tmp")" != "$(stat -c %s "$dll")" ]; then
    rm -f "$tmp"
    echo "actions cache redirect: patching $dll failed its check; jobs use GitHub's cache"
    return 1
  fi
  mv -f "$tmp" "$dll"
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

# _acr_env_unset <file> <NAME>...: drops the lines of those names. Rewritten in place, so the file
# keeps its owner and mode.
_acr_env_unset() {
  local file=$1 kept name
  shift
  touch "$file"
  kept=$(cat "$file")
  for name in "$@"; do kept=$(grep -v "^$name=" <<< "$kept" || true); done
  if [ -z "$kept" ]; then : > "$file"; else printf '%s\n' "$kept" > "$file"; fi
}

# Sets NAME=VALUE in the runner's .env, replacing an earlier line of that name (one line per name
# keeps the value unambiguous).
_acr_env_set() {
  local file=$1 name=$2 value=$3
  _acr_env_unset "$file" "$name"
  printf '%s=%s\n' "$name" "$value" >> "$file"
}
