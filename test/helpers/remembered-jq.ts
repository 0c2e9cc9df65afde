import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostCommand } from "./boot-stubs.js";
import { scratchDir } from "./paths.js";

// jq 1.6 spends about 18 ms of CPU compiling its builtins at every start, and the bootstrap calls it about
// ten times a boot: three quarters of a stubbed boot's CPU. This jq on the stubs' PATH runs the real jq
// once per distinct call and answers a repeat from its record. A call is its arguments, the contents of
// any file it reads and its standard input; a filter that could read anything else (env, $ENV, now,
// input_filename, $__loc__, a module path) always runs the real jq. Written by hand: no library or tool
// installed here remembers a command's answers. Records live for the test process, so each distinct
// call still meets the real jq once.

let processRecords: string | undefined;

/** The host's jq (the one the bootstrap would run with the stubs off the PATH). */
export function hostJq(): string {
  const jq = hostCommand("jq");
  if (jq === "") throw new Error("jq is not installed: the bootstrap needs it");
  return jq;
}

/**
 * Writes the remembering jq into `bin`, in front of `jq` (default the host's), keeping its records in
 * `records` (default one directory for every machine this process prepares).
 */
export function installRememberedJq(bin: string, jq = hostJq(), records = (processRecords ??= scratchDir("jq-records"))): void {
  const path = join(bin, "jq");
  writeFileSync(path, rememberedJq(jq, records));
  chmodSync(path, 0o755);
}

/**
 * Pure bash builtins on a hit (no process besides the script's own bash). Only calls it understands are
 * remembered (the options below, a filter, file arguments); any other runs the real jq. The key is every
 * argument (a file argument by its contents) and, unless jq reads no standard input (-n, or files), the
 * input; records are bucketed by the key's length and compared in full. Input holding a NUL byte (which
 * bash variables cannot hold) runs the real jq.
 */
function rememberedJq(jq: string, dir: string): string {
  return `#!/bin/bash
real() { exec "${jq}" "\${all[@]}"; }
all=("$@") key="" null_input="" filter="" files=""
while [ $# -gt 0 ]; do
  case "$1" in
    --arg|--argjson) [ $# -ge 3 ] || real; key+="$1"$'\\x1f'"$2"$'\\x1f'; shift 2 ;;
    --null-input) null_input=1 ;;
    --raw-output|--join-output|--compact-output|--exit-status|--slurp|--sort-keys) ;;
    -*) [[ "$1" =~ ^-[cnrjesS]+$ ]] || real; [[ "$1" == *n* ]] && null_input=1 ;;
    *) if [ -z "$filter" ]; then
         filter="$1"
         # Builtins whose answer depends on more than the call.
         [[ "$filter" =~ (^|[^a-zA-Z0-9_.])(env|now|input_filename|input_line_number|import|include)([^a-zA-Z0-9_]|$) || "$filter" == *'$ENV'* || "$filter" == *'$__loc__'* ]] && real
       else
         [ -f "$1" ] && [ -r "$1" ] || real
         IFS= read -r -d '' content < "$1" && real
         files=1 key+="<file>$content"$'\\x1f'; shift; continue
       fi ;;
  esac
  key+="$1"$'\\x1f'; shift
done
[ -n "$filter" ] || real
input=""
if [ -z "$null_input" ] && [ -z "$files" ]; then
  if IFS= read -r -d '' input; then { printf '%s\\0' "$input"; exec cat; } | exec "${jq}" "\${all[@]}"; exit; fi
  key+="<stdin>$input"
fi
bucket="${dir}/\${#key}"
for record in "$bucket".*.key; do
  [ -f "$record" ] || break
  IFS= read -r -d '' seen < "$record"
  if [ "$seen" = "$key" ]; then
    entry="\${record%.key}"
    IFS= read -r -d '' out < "$entry.out"; printf '%s' "$out"
    IFS= read -r -d '' err < "$entry.err"; printf '%s' "$err" >&2
    read -r status < "$entry.status"; exit "$status"
  fi
done
entry="$bucket.$$.$RANDOM"
if [ -n "$null_input" ] || [ -n "$files" ]; then "${jq}" "\${all[@]}" > "$entry.out" 2> "$entry.err"
else printf '%s' "$input" | "${jq}" "\${all[@]}" > "$entry.out" 2> "$entry.err"; fi
status=$?
echo "$status" > "$entry.status"
printf '%s' "$key" > "$entry.key"
IFS= read -r -d '' out < "$entry.out"; printf '%s' "$out"
IFS= read -r -d '' err < "$entry.err"; printf '%s' "$err" >&2
exit "$status"
`;
}
