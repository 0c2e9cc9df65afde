/**
 * The addresses a Terraform module declares, read from its .tf files (after terraform fmt, so
 * top-level blocks start in column 0 and locals sit two spaces in): `resource.type.name`,
 * `data.type.name`, `local.name`, `var.name`, `output.name`, `module.name`, and `moved: from -> to`.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export function moduleAddresses(dir: string): string[] {
  const addresses: string[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".tf")).sort()) {
    const lines = fs.readFileSync(path.join(dir, file), "utf8").split("\n");
    let inLocals = false;
    let moved: { from?: string; to?: string } | undefined;
    for (const line of lines) {
      if (line === "}") {
        if (moved) addresses.push(`moved: ${moved.from} -> ${moved.to}`);
        inLocals = false;
        moved = undefined;
        continue;
      }
      const header = /^(resource|data) "([^"]+)" "([^"]+)" \{/.exec(line);
      if (header) addresses.push(`${header[1] === "data" ? "data." : ""}${header[2]}.${header[3]}`);
      const named = /^(variable|output|module) "([^"]+)" \{/.exec(line);
      if (named) addresses.push(`${{ variable: "var", output: "output", module: "module" }[named[1]]}.${named[2]}`);
      if (line === "locals {") inLocals = true;
      if (line === "moved {") moved = {};
      const local = inLocals ? /^ {2}([A-Za-z_][A-Za-z0-9_-]*)\s*=/.exec(line) : null;
      if (local) addresses.push(`local.${local[1]}`);
      const end = moved ? /^ {2}(from|to)\s*=\s*(\S+)/.exec(line) : null;
      if (moved && end) moved[end[1] as "from" | "to"] = end[2];
    }
  }
  return addresses.sort();
}
