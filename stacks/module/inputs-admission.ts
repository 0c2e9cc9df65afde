/**
 * Who gets a runner (issue 18, findings 5 and 9), a group of the input table (./inputs.ts): the owner and
 * repository allowlists the webhook and scale-up enforce (lambdas/shared/admission.ts), and the replay
 * bound on `queued` deliveries. The public-repository opt-in is per pool (`allow_public_repositories`).
 */
import { TERMINAL_LEDGER_ITEM_TTL_SECONDS } from "../../contracts/admission.js";
import { eachItem, integerBetween, matching } from "./rules.js";
import type { InputGroup } from "./input-spec.js";

/** A GitHub login (user or organization): letters, digits and inner hyphens, at most 39 characters. */
const GITHUB_LOGIN = "[A-Za-z0-9][A-Za-z0-9-]{0,38}";

export const ADMISSION: InputGroup = {
  title: "Admission",
  inputs: [
    {
      name: "allowed_owners", type: "list(string)", default: [],
      description: "Organizations and users whose jobs may get a runner (case-insensitive). Empty: any owner the GitHub App is installed on, so anyone who can install the App gets runners; set it whenever the App is public or installable by others.",
      rules: [eachItem(matching(`^${GITHUB_LOGIN}$`, "a GitHub organization or user login (letters, digits, inner hyphens, at most 39 characters)"))],
    },
    {
      name: "allowed_repositories", type: "list(string)", default: [],
      description: "Repositories (owner/repo, case-insensitive) whose jobs may get a runner, checked in addition to allowed_owners. Empty: any repository of an allowed owner.",
      rules: [eachItem(matching(`^${GITHUB_LOGIN}/[A-Za-z0-9._-]{1,100}$`, "owner/repo with a GitHub login and a repository name of letters, digits, '.', '_' or '-'"))],
    },
    {
      name: "webhook_max_job_age_seconds", type: "number", default: 3600,
      description: "A queued delivery whose workflow_job.created_at is older than this is refused (202, nothing queued, DeliveriesRefused with Reason stale): the webhook signature does not cover X-GitHub-Delivery, so a captured delivery could otherwise be replayed to start runners. At most a day, the time the job ledger keeps finished jobs, so a replay young enough to pass still finds its ended job.",
      rules: [integerBetween(60, TERMINAL_LEDGER_ITEM_TTL_SECONDS, ` (finished jobs stay ${TERMINAL_LEDGER_ITEM_TTL_SECONDS} s in the job ledger)`)],
    },
  ],
};
