// Who may subscribe where on gust's own broker (publishing is checked per readings topic in
// ./embedded-broker.ts). Raw readings topics are never subscribed: what was stored is on the
// live topics, and readings that were refused are no one else's business.
import { mayRead, mayWrite, type Principal } from "../auth/keys.ts";
import { TOPIC_ROOT } from "./topics.ts";

const LIVE_KINDS = new Set(["readings", "alarms", "+"]);

export function maySubscribe(principal: Principal, filter: string): boolean {
  const levels = filter.split("/");
  if (levels[0] !== "gust" || levels[1] !== "v1") return false;
  if (levels[2] === "turbines") {
    // gust/v1/turbines/{id}/answers: the answers to the publishes of that turbine's topic.
    if (levels.length !== 5 || levels[4] !== "answers") return false;
    const turbine = levels[3] as string;
    if (principal.role === "operator") return true;
    return turbine !== "+" && turbine !== "#" && mayWrite(principal, turbine);
  }
  if (levels[2] !== "live") return false;
  if (principal.role !== "turbine") return filter.startsWith(`${TOPIC_ROOT}/live/`);
  // A turbine's key reads its own turbine only: gust/v1/live/{readings|alarms|+}/{own id}.
  return (
    levels.length === 5 &&
    LIVE_KINDS.has(levels[3] as string) &&
    mayRead(principal, levels[4] as string)
  );
}
