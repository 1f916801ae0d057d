// The registry's HTTP contract as zod schemas: they validate requests and generate the OpenAPI
// document. Tags follow the reading tag rules (api/readings/schema.ts) plus the registry's own:
// a tag may not take the name of a description field, and the dimensions a cloud store writes
// from them must fit Timestream's limits (dimensions.ts).
import { z } from "@hono/zod-openapi";
import {
  MAX_TAGS,
  READING_STATUSES,
  StoredReadingSchema,
  tagProblems,
} from "../readings/schema.ts";
import { isWellFormed, NOT_WELL_FORMED, UNSAFE_CHARACTER, unsafeCharacter } from "../unicode.ts";
import type { RegisteredTurbine, TurbineDescription } from "./port.ts";

export const MAX_TURBINES_PER_PUT = 1000;
const MAX_TEXT = 256;

/** Tag names that would collide with the description's own fields (and so its dimensions). */
const DESCRIPTION_FIELDS = new Set([
  "turbine_id",
  "name",
  "project",
  "model",
  "rated_kw",
  "hub_height_m",
  "rotor_diameter_m",
  "latitude",
  "longitude",
  "commissioned",
]);

const RegistryTagsSchema = z
  .custom<Record<string, string>>(() => true)
  .superRefine((tags, ctx) => {
    for (const { tag, message } of tagProblems(tags)) {
      ctx.addIssue({ code: "custom", message, ...(tag === undefined ? {} : { path: [tag] }) });
    }
    if (typeof tags === "object" && tags !== null) {
      for (const [name, value] of Object.entries(tags)) {
        const unsafe = typeof value === "string" ? unsafeCharacter(value) : null;
        if (unsafe) {
          ctx.addIssue({
            code: "custom",
            path: [name],
            message: `tag value ${UNSAFE_CHARACTER} (it holds ${unsafe})`,
          });
        }
        if (DESCRIPTION_FIELDS.has(name)) {
          ctx.addIssue({
            code: "custom",
            path: [name],
            message: `"${name}" is a field of the description: set it there, not as a tag`,
          });
        }
      }
    }
  })
  .openapi({
    type: "object",
    maxProperties: MAX_TAGS,
    additionalProperties: { type: "string", minLength: 1, maxLength: 256 },
    description: `Up to ${MAX_TAGS} string pairs (municipality, province, owner, ...); names 1-60 of A-Z a-z 0-9 _ starting with a letter, not a reading or description field, not starting with ts_ or measure_value. With turbine_id, project, model, rated_kw, latitude and longitude they are the dimensions a cloud store writes per reading: at most 2048 UTF-8 bytes of names and values together.`,
    example: { municipality: "Noordoostpolder", province: "Flevoland", owner: "Zuidwester" },
  });

// Stored and written as cloud dimensions: well-formed Unicode only, like every string gust takes.
const text = (description: string, example: string) =>
  z
    .string()
    .min(1)
    .max(MAX_TEXT)
    .refine(isWellFormed, NOT_WELL_FORMED)
    .superRefine((value, ctx) => {
      const unsafe = unsafeCharacter(value);
      if (unsafe)
        ctx.addIssue({ code: "custom", message: `${UNSAFE_CHARACTER} (it holds ${unsafe})` });
    })
    .nullable()
    .optional()
    .openapi({ description, example });

const positive = (description: string, max: number, example: number) =>
  z.number().finite().positive().max(max).nullable().optional().openapi({ description, example });

const DescriptionFields = {
  name: text("What people call the turbine.", "NOP Westermeerdijk 3"),
  project: text("The wind farm (project) it belongs to.", "Windpark Noordoostpolder"),
  model: text("Manufacturer's model.", "Enercon E-126 7.580"),
  rated_kw: z.number().finite().positive().max(10_000_000).openapi({
    description:
      "Rated (nameplate) power in kW, > 0; required (a farm's total when one id stands for a farm).",
    example: 7580,
  }),
  hub_height_m: positive("Hub height in metres.", 500, 135),
  rotor_diameter_m: positive("Rotor diameter in metres.", 500, 127),
  latitude: z
    .number()
    .finite()
    .min(-90)
    .max(90)
    .nullable()
    .optional()
    .openapi({ description: "WGS 84 latitude in degrees.", example: 52.72 }),
  longitude: z
    .number()
    .finite()
    .min(-180)
    .max(180)
    .nullable()
    .optional()
    .openapi({ description: "WGS 84 longitude in degrees.", example: 5.62 }),
  commissioned: z.iso
    .date({ error: "must be a date such as 2013-06-01" })
    .nullable()
    .optional()
    .openapi({ description: "Date of commissioning (YYYY-MM-DD).", example: "2013-06-01" }),
  tags: RegistryTagsSchema.optional(),
};

export const TurbineDescriptionSchema = z
  .object(DescriptionFields)
  .strict()
  .openapi("TurbineDescription");

export const TurbineEntrySchema = z
  .object({
    turbine_id: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,64}$/, "must be 1-64 characters of A-Z a-z 0-9 . _ : -"),
    ...DescriptionFields,
  })
  .strict()
  .openapi("TurbineEntry");

export const TurbineBulkSchema = z
  .object({
    turbines: z.array(TurbineEntrySchema).min(1).max(MAX_TURBINES_PER_PUT),
  })
  .strict()
  .openapi("TurbineBulk");

export type TurbineDescriptionInput = z.infer<typeof TurbineDescriptionSchema>;

/** A validated body as the port's description: omitted fields are null, tags {}. */
export function toDescription(input: TurbineDescriptionInput): TurbineDescription {
  return {
    name: input.name ?? null,
    project: input.project ?? null,
    model: input.model ?? null,
    rated_kw: input.rated_kw,
    hub_height_m: input.hub_height_m ?? null,
    rotor_diameter_m: input.rotor_diameter_m ?? null,
    latitude: input.latitude ?? null,
    longitude: input.longitude ?? null,
    commissioned: input.commissioned ?? null,
    tags: input.tags ?? {},
  };
}

const registryFields = {
  turbine_id: z.string(),
  name: z.string().nullable(),
  project: z.string().nullable(),
  model: z.string().nullable(),
  rated_kw: z.number(),
  hub_height_m: z.number().nullable(),
  rotor_diameter_m: z.number().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  commissioned: z.string().nullable(),
  tags: z.record(z.string(), z.string()),
  etag: z.string().openapi({ description: "The record's version; send it in If-Match." }),
  updated_at: z.string().openapi({ example: "2026-11-23T10:00:00.000Z" }),
  key_generation: z.number().int(),
};

export const TurbineSchema = z.object(registryFields).openapi("Turbine");

export function turbineJson(turbine: RegisteredTurbine): z.infer<typeof TurbineSchema> {
  return { ...turbine, updated_at: new Date(turbine.updated_at).toISOString() };
}

/** A turbine in a listing: the registry's fields (null when unregistered) and the store's view. */
export const TurbineStatusSchema = z
  .object({
    // The registry's fields; those a registry entry always has are null for an unregistered one.
    ...registryFields,
    registered: z.boolean().openapi({
      description: "false: the turbine has sent readings but has no registry entry.",
    }),
    rated_kw: registryFields.rated_kw.nullable(),
    etag: z.string().nullable(),
    updated_at: z.string().nullable(),
    key_generation: registryFields.key_generation.nullable(),
    last_seen: z.string().nullable().openapi({ description: "Time of the latest reading." }),
    status: z.enum(READING_STATUSES).nullable().openapi({
      description: "The status of the latest reading.",
    }),
    readings_24h: z.number().int().openapi({ description: "Readings in the last 24 hours." }),
    // A union rather than .nullable(): nullable() on the registered schema makes the shared
    // StoredReading component nullable, and generated clients then type every reading as nullable.
    last_reading: z.union([StoredReadingSchema, z.null()]).openapi({
      description: "The latest reading; null when the turbine has sent none.",
    }),
  })
  .openapi("TurbineStatus");

export type TurbineStatus = z.infer<typeof TurbineStatusSchema>;
