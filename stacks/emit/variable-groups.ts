/**
 * variables.tf in groups under banner comments, as terraform-aws-modules/terraform-aws-lambda
 * writes it, so that a reader finds the networking inputs together.
 */
import { EmitError } from "./errors.js";
import { comment, type Block, type BodyItem } from "./hcl.js";

/** Variables printed together under a `# ---------- Title ----------` banner. */
export interface VariableGroup {
  readonly title: string;
  /** Terraform variable names. */
  readonly variables: readonly string[];
}

/** Variables under their group's banner, in the groups' order; the rest under "Other". Without groups, no banners. */
export function groupVariables(
  variables: ReadonlyArray<{ readonly doc: { readonly name: string }; readonly block: Block }>,
  groups?: readonly VariableGroup[],
): BodyItem[] {
  if (!groups) return variables.map((variable) => variable.block);
  const byName = new Map(variables.map((variable) => [variable.doc.name, variable.block]));
  const grouped = new Set<string>();
  const items: BodyItem[] = [];
  const section = (title: string, blocks: readonly Block[]) => {
    if (blocks.length > 0) items.push(comment(`---------- ${title} ----------`), ...blocks);
  };
  for (const group of groups) {
    section(
      group.title,
      group.variables.map((name) => {
        const found = byName.get(name);
        if (!found) throw new EmitError(`variable group "${group.title}" names ${name}, which the stack does not declare`);
        if (grouped.has(name)) throw new EmitError(`variable ${name} is in more than one group`);
        grouped.add(name);
        return found;
      }),
    );
  }
  section(
    "Other",
    variables.filter((variable) => !grouped.has(variable.doc.name)).map((variable) => variable.block),
  );
  return items;
}
