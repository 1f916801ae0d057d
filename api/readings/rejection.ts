// A reading the write path refused although its body was valid (its clock is wrong, it conflicts
// with a stored one): what the alarms count, whichever transport carried it.
export interface ReadingRejection {
  turbine_id: string;
  /** The rejected reading's time, epoch ms. */
  time: number;
  reason: string;
}
