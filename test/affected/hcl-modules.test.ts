import { describe, expect, it } from "vitest";
import { isLocalSource, moduleSources } from "../../tools/affected/hcl-modules.js";

describe("moduleSources", () => {
  it("reads the source of every module block, local or not", () => {
    const hcl = `module "a" {\n  source = "../a"\n}\n\nmodule "b" {\n  version = "~> 4.0"\n  source  = "terraform-aws-modules/vpc/aws"\n}\n`;
    expect(moduleSources(hcl)).toEqual(["../a", "terraform-aws-modules/vpc/aws"]);
  });

  it("skips commented-out blocks (#, // and /* */) and keeps strings holding comment characters", () => {
    const hcl = `# module "x" {\n#   source = "../x"\n# }\n// module "y" { source = "../y" }\n/* module "z" {\n  source = "../z"\n} */\nmodule "w" {\n  name   = "a # b // c"\n  source = "./w"\n}\n`;
    expect(moduleSources(hcl)).toEqual(["./w"]);
  });

  it("takes the block's own source, not a nested object's key of the same name", () => {
    const hcl = `module "m" {\n  tags = {\n    source = "../not-this"\n  }\n  settings {\n    source = "../nor-this"\n  }\n  source = "../this"\n}\n`;
    expect(moduleSources(hcl)).toEqual(["../this"]);
  });

  it("keeps braces inside strings out of the block's depth", () => {
    const hcl = `module "m" {\n  name   = "}{"\n  source = "../m"\n}\nmodule "n" {\n  source = "../n"\n}\n`;
    expect(moduleSources(hcl)).toEqual(["../m", "../n"]);
  });

  it("treats only ./ and ../ as local paths, as Terraform does", () => {
    expect(["./a", "../b", "a/b", "git::https://example.com/x.git", "/abs"].map(isLocalSource)).toEqual([true, true, false, false, false]);
  });
});
