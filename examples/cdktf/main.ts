// A CDKTF app that uses the self-runners constructs directly. Build the zips first (`npm run build`
// at the repository root), then `npx tsx examples/cdktf/main.ts` synthesizes into examples/cdktf/cdktf.out.
// From the npm package (docs/package.md) the imports are `cdktf`, `@cdktf/provider-aws/lib/provider/index.js`
// and `self-runners`; the rest is the same.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { App, LocalBackend, TerraformOutput, TerraformStack } from "../../stacks/cdktf.js";
import { AwsProvider } from "../../stacks/aws.js";
import { DEEP_LEARNING_BASE_AMI_PARAMETERS, SelfRunners } from "../../stacks/index.js";

const here = fileURLToPath(new URL(".", import.meta.url));

export function buildApp(outdir = resolve(here, "cdktf.out")): App {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, "ci-runners");
  // Relative, so the synthesized stack names no path of this machine (cdktf's default is absolute);
  // Terraform runs in cdktf.out/stacks/ci-runners, so this keeps the state next to cdktf.out.
  new LocalBackend(stack, { path: "../../../terraform.ci-runners.tfstate" });
  new AwsProvider(stack, "aws", { region: "eu-west-1" });

  const runners = new SelfRunners(stack, "runners", {
    // No distDir: the zips are found next to the constructs (dist/ here, lib/dist in the package).
    prefix: "ci-runners",
    githubAppId: "123456",
    runnerScope: "org",
    vpcId: "vpc-0123456789abcdef0",
    runnerSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    pools: {
      linux: { labels: ["linux", "x64"], instanceTypes: ["m7i.large", "m6i.large"], maxRunners: 20 },
      // The stock Amazon Linux AMI has no NVIDIA driver: the Deep Learning Base AMI has (docs/runner-hosts.md).
      gpu: {
        labels: ["linux", "gpu"],
        instanceTypes: ["g6.xlarge", "g5.xlarge"],
        amiSsmParameter: DEEP_LEARNING_BASE_AMI_PARAMETERS.x64,
        rootVolumeSize: 200,
        spot: false,
        maxRunners: 4,
      },
    },
  });
  new TerraformOutput(stack, "webhook_url", { value: runners.api.webhookUrl });
  return app;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildApp().synth();
}
