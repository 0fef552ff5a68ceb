import type { Directory } from "@dagger.io/dagger";
import type { PlanRequest } from "../plan/release-plan.js";
import { readPlan } from "../stages/run-context.js";

/** The release plan as JSON: what `dagger call plan` and `npm run plan` print. */
export async function planJson(source: Directory, request: PlanRequest): Promise<string> {
  return JSON.stringify(await readPlan(source, request), null, 2);
}
