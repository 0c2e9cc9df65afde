/**
 * A simulated boot timeline of a runner (docs/runner-images.md): the steps the bootstrap
 * (stacks/templates/runner-bootstrap.sh.tftpl) runs between launch and "Listening for Jobs", plus the
 * first pull of a job's container image, each with an assumed cost, once on a plain AMI (install at
 * boot) and once on a baked image (runner_images). The costs are assumptions, stated here and in the
 * doc, not measurements; each step names a line of the bootstrap so the model follows the script.
 */
export interface BootStep {
  readonly step: string;
  /** Text of the bootstrap line(s) the step stands for (checked by the test). */
  readonly marker: string;
  /** Assumed seconds on a plain AMI (everything installed at boot). */
  readonly atBoot: number;
  /** Assumed seconds on a baked image (what remains of the step). */
  readonly baked: number;
  /** Why the baked cost is what it is. */
  readonly note: string;
}

export const BOOT_STEPS: readonly BootStep[] = [
  { step: "launch to user data (EC2, kernel, cloud-init)", marker: "#!/bin/bash", atBoot: 25, baked: 25, note: "the same AMI boot" },
  { step: "CloudWatch agent package", marker: "dnf install -y -q amazon-cloudwatch-agent", atBoot: 8, baked: 1, note: "already installed: dnf only checks" },
  { step: "runner packages (libicu, tar, gzip, docker, jq)", marker: "dnf install -y -q libicu tar gzip docker jq", atBoot: 20, baked: 3, note: "already installed: dnf reads its metadata" },
  { step: "start Docker", marker: "systemctl start docker", atBoot: 2, baked: 2, note: "enabled in the image, started either way" },
  { step: "runner from the bucket (download, SHA-256, extract)", marker: "tar xzf \"$ARCHIVE\" -C \"$RUNNER_DIR\"", atBoot: 10, baked: 0.2, note: "baked runner kept: only its version is checked" },
  { step: "JIT configuration from the runners table", marker: "--projection-expression jitConfig", atBoot: 3, baked: 3, note: "written by scale-up right after launch" },
  { step: "runner start to Listening for Jobs", marker: "Listening for Jobs", atBoot: 4, baked: 4, note: "the same runner" },
  { step: "job: first pull of a 400 MB container image", marker: "", atBoot: 25, baked: 0, note: "pre-pulled into the image (prepull_images)" },
];

/** The boot step that ends registration (everything before the job's pull). */
export const REGISTRATION_STEPS = BOOT_STEPS.length - 1;

export interface BootTotals {
  readonly toRegistration: { readonly atBoot: number; readonly baked: number };
  readonly toFirstContainerStep: { readonly atBoot: number; readonly baked: number };
}

function sum(steps: readonly BootStep[], pick: (s: BootStep) => number): number {
  return Math.round(steps.reduce((total, s) => total + pick(s), 0) * 10) / 10;
}

export function bootTotals(steps: readonly BootStep[] = BOOT_STEPS): BootTotals {
  const registration = steps.slice(0, REGISTRATION_STEPS);
  return {
    toRegistration: { atBoot: sum(registration, (s) => s.atBoot), baked: sum(registration, (s) => s.baked) },
    toFirstContainerStep: { atBoot: sum(steps, (s) => s.atBoot), baked: sum(steps, (s) => s.baked) },
  };
}

/** The Markdown table of docs/runner-images.md, between its markers. */
export function bootTimelineTable(): string {
  const t = bootTotals();
  const rows = BOOT_STEPS.map((s) => `| ${s.step} | ${s.atBoot} | ${s.baked} | ${s.note} |`);
  return [
    "| step | install at boot (s) | baked image (s) | baked: why |",
    "|---|---|---|---|",
    ...rows,
    `| **launch to registered runner** | **${t.toRegistration.atBoot}** | **${t.toRegistration.baked}** | |`,
    `| **launch to a container job's first step** | **${t.toFirstContainerStep.atBoot}** | **${t.toFirstContainerStep.baked}** | |`,
  ].join("\n");
}
