// The reading contract's limits and patterns, as plain values: what the zod schemas
// (./schema.ts) enforce and the fast check (./fast-validation.ts) and the key checks use. Apart
// from the schemas so that the write path can use them without building zod (api/routes/ingest.ts).

export const MAX_READINGS_PER_REQUEST = 1000;
export const MAX_TAGS = 16;

export const READING_STATUSES = ["producing", "idle", "curtailed", "fault", "maintenance"] as const;
export type ReadingStatus = (typeof READING_STATUSES)[number];

export const TURBINE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

// Epoch milliseconds between 2000 and year 5138; anything else is a unit mistake (seconds, µs).
export const MIN_EPOCH_MS = 946_684_800_000;
export const MAX_EPOCH_MS = 99_999_999_999_999;

/** SCADA status codes as a 32-bit signed integer (what every SCADA system and store holds). */
export const STATUS_CODE_MIN = -2_147_483_648;
export const STATUS_CODE_MAX = 2_147_483_647;
