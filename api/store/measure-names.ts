// The embedded store's budget of measure names: at most MAX_MEASURE_COLUMNS columns, of which one
// turbine may bring at most MAX_NEW_MEASURES_PER_TURBINE (a column, once made, stays in the
// file, so one key could otherwise use up the fleet's names for good). A write reserves the new
// names it carries before it is judged, so that writes in flight cannot together pass the limits;
// once judged, only the names of readings the store accepted are kept, and the rest go back.
import { MAX_MEASURE_COLUMNS, MAX_NEW_MEASURES_PER_TURBINE } from "../readings/measures.ts";
import { MeasureLimitError, type Reading, type WriteOutcome } from "./port.ts";

/** A write's hold on names; settle it with the write's outcomes, or null when it failed. */
export interface NameReservation {
  settle(outcomes: readonly WriteOutcome[] | null): void;
}

const NOTHING_RESERVED: NameReservation = { settle: () => undefined };

export class MeasureNameBudget {
  /** Names with a column, or carried by a reading the store accepted. */
  private readonly kept: Set<string>;
  /** Names not kept yet that writes in flight carry, and by how many writes. */
  private readonly reserved = new Map<string, number>();
  /** Per turbine, the names it brought (kept or reserved); names in the file at open have none. */
  private readonly broughtBy = new Map<string, Set<string>>();

  constructor(
    columns: Iterable<string>,
    private readonly limit = MAX_MEASURE_COLUMNS,
    private readonly perTurbine = MAX_NEW_MEASURES_PER_TURBINE,
  ) {
    this.kept = new Set(columns);
  }

  /** The names counted now: kept, and reserved by writes in flight. */
  get size(): number {
    return this.kept.size + this.reserved.size;
  }

  /** Reserves the write's new names, or throws the MeasureLimitError that refuses it whole. */
  reserve(readings: readonly Reading[]): NameReservation {
    let carried: Set<string> | undefined;
    const fresh = new Map<string, string>(); // name -> the turbine that brings it
    for (const reading of readings) {
      for (const name in reading.measures) {
        if (this.kept.has(name)) continue;
        carried ??= new Set();
        carried.add(name);
        if (!this.reserved.has(name) && !fresh.has(name)) fresh.set(name, reading.turbine_id);
      }
    }
    if (!carried) return NOTHING_RESERVED;
    if (this.size + fresh.size > this.limit) {
      throw new MeasureLimitError([...fresh.keys()], this.limit);
    }
    const perTurbine = new Map<string, string[]>();
    for (const [name, turbineId] of fresh) {
      const names = perTurbine.get(turbineId) ?? [];
      names.push(name);
      perTurbine.set(turbineId, names);
    }
    for (const [turbineId, names] of perTurbine) {
      const brought = this.broughtBy.get(turbineId)?.size ?? 0;
      if (brought + names.length > this.perTurbine) {
        throw new MeasureLimitError(names, this.perTurbine, { turbineId, brought });
      }
    }
    for (const name of carried) this.reserved.set(name, (this.reserved.get(name) ?? 0) + 1);
    for (const [name, turbineId] of fresh) {
      const names = this.broughtBy.get(turbineId) ?? new Set<string>();
      names.add(name);
      this.broughtBy.set(turbineId, names);
    }
    const names = carried;
    return { settle: (outcomes) => this.settle(readings, names, fresh, outcomes) };
  }

  private settle(
    readings: readonly Reading[],
    carried: ReadonlySet<string>,
    fresh: ReadonlyMap<string, string>,
    outcomes: readonly WriteOutcome[] | null,
  ): void {
    if (outcomes) {
      readings.forEach((reading, index) => {
        if (outcomes[index] !== "accepted") return;
        for (const name in reading.measures) if (carried.has(name)) this.kept.add(name);
      });
    }
    for (const name of carried) {
      const count = (this.reserved.get(name) ?? 1) - 1;
      if (count > 0) this.reserved.set(name, count);
      else this.reserved.delete(name);
    }
    // A name that no accepted reading kept and no other write holds goes back to its turbine.
    for (const [name, turbineId] of fresh) {
      if (this.kept.has(name) || this.reserved.has(name)) continue;
      this.broughtBy.get(turbineId)?.delete(name);
    }
  }
}
