/**
 * The baked runner images input of the input table (./inputs.ts): EC2 Image Builder pipelines
 * (stacks/runner-images.ts); the image fields, defaults and rules live in ../runner-images-spec.ts.
 */
import { runnerImagesValidation, runnerImagesVariableType } from "../runner-images-spec.js";
import type { InputGroup } from "./input-spec.js";

export const RUNNER_IMAGES: InputGroup = {
  title: "Runner images",
  inputs: [
    {
      name: "runner_images", type: runnerImagesVariableType(), default: {},
      description:
        "Baked runner images by key: an EC2 Image Builder pipeline per image builds an AMI on parent_image_ssm_parameter (default Amazon Linux 2023 for the architecture) with the runner from the kit's bucket, Docker, the CloudWatch agent, extra_packages, prepull_images pulled into Docker and user_script (no secrets), on schedule (cron) and on demand, and publishes the AMI id to the SSM parameter /<prefix>/runner-images/<key> for pools to use as their AMI parameter (docs/runner-images.md). Empty: no pipeline.",
      validation: runnerImagesValidation,
    },
  ],
};
