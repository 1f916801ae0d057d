// The filters every analysis endpoint takes: one turbine, one project, one model.
import type { TurbineFacts } from "./scan.ts";

export interface TurbineFilter {
  turbine_id?: string;
  project?: string;
  model?: string;
}

export function matches(
  filter: TurbineFilter,
  turbineId: string,
  facts: TurbineFacts | null,
): boolean {
  if (filter.turbine_id !== undefined && filter.turbine_id !== turbineId) return false;
  if (filter.project !== undefined && facts?.project !== filter.project) return false;
  if (filter.model !== undefined && facts?.model !== filter.model) return false;
  return true;
}
