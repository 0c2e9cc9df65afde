/**
 * Boot scripts are real files (`*.sh.tftpl` next to this one) rendered by Terraform's
 * `templatefile()`. Each is added as a cdktf asset, so a CDKTF app finds it in its synth output and
 * the emitted module ships it under `templates/` (referred to through `${path.module}`).
 */
import { fileURLToPath } from "node:url";
import type { Construct } from "constructs";
import { AssetType, Fn, TerraformAsset, Token } from "../cdktf.js";

/** Template variables: plain values or Terraform expressions (tokens). */
export type TemplateVars = Readonly<Record<string, string | number>>;

/** Absolute path of a template in this folder, e.g. `runner-bootstrap.sh.tftpl`. */
export function templatePath(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/** `templatefile("<asset path>", vars)` as a string token; the template becomes an asset of `scope` named `id`. */
export function templateFile(scope: Construct, id: string, name: string, vars: TemplateVars): string {
  return Token.asString(Fn.templatefile(templateAsset(scope, id, name), vars));
}

/** The path of a template shipped as an asset of `scope` named `id` (for a templatefile() whose path is chosen by an expression). */
export function templateAsset(scope: Construct, id: string, name: string): string {
  return new TerraformAsset(scope, id, { path: templatePath(name), type: AssetType.FILE }).path;
}

/**
 * What `templatefile()` makes of `source` with plain values, for the syntax the boot scripts use:
 * `${name}` interpolations and the `$${` / `%%{` escapes. Anything else (directives, expressions)
 * throws, so a template that outgrows this renderer is noticed by the tests that use it.
 */
export function renderTemplate(source: string, vars: Readonly<Record<string, string | number>>): string {
  return source.replace(/\$\$\{|%%\{|\$\{([^}]*)\}|%\{/g, (match, name: string | undefined) => {
    if (match === "$${") return "${";
    if (match === "%%{") return "%{";
    if (match === "%{") throw new Error("renderTemplate supports no template directives (%{ ... })");
    const key = (name ?? "").trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`renderTemplate supports only \${name} interpolations, got ${match}`);
    if (!(key in vars)) throw new Error(`template variable ${key} has no value`);
    return String(vars[key]);
  });
}
