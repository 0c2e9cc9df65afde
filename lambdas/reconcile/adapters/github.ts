import { deleteRunner, listRunners } from "../../shared/index.js";
import type { DeleteRunnerResult, InstallationClientProvider, RunnerScope } from "../../shared/index.js";
import type { RegistrationView } from "../decide.js";

export interface RunnerDirectory {
  list(owner: string, installationId: number): Promise<RegistrationView[]>;
  remove(owner: string, installationId: number, runnerId: number): Promise<DeleteRunnerResult>;
}

export function gitHubRunnerDirectory(scope: RunnerScope, clients: InstallationClientProvider): RunnerDirectory {
  return {
    list: async (owner, installationId) => listRunners(await clients(installationId), { scope, owner }),
    remove: async (owner, installationId, runnerId) => deleteRunner(await clients(installationId), { scope, owner }, runnerId),
  };
}
