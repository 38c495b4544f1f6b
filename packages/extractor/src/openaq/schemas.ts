import { z } from "zod";

/**
 * Runtime schemas of the OpenAQ v3 responses the pipeline reads, written from the server's own
 * pydantic models (openaq_api/v3/models/responses.py in openaq/openaq-api-v2; docs/openaq.md).
 * Every field the server always serialises is required here (pydantic writes `null`, never omits a
 * key), so a renamed or retyped field fails validation with its path instead of surfacing later as NaN.
 * Objects are loose: a field the API adds tomorrow is not drift.
 */

/** `{utc, local}`: utc ends in `Z` (older API versions: `+00:00`); local carries its ±HH:MM offset. */
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;
const isoInstant = z.string().regex(ISO_WITH_OFFSET, "expected an ISO date-time with an explicit offset");

export const DatetimeObjectSchema = z.looseObject({ utc: isoInstant, local: isoInstant });

export const MetaSchema = z.looseObject({
  name: z.string(),
  website: z.string(),
  page: z.number().int(),
  limit: z.number().int(),
  /** A count of this page's rows, or `">{limit}"` when the page is full: never a total. */
  found: z.union([z.number(), z.string()]).nullable(),
});

export const ParameterBaseSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  units: z.string(),
  displayName: z.string().nullable(),
});

export const SensorBaseSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  parameter: ParameterBaseSchema,
});

export const CoordinatesSchema = z.looseObject({
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
});

const EntitySchema = z.looseObject({ id: z.number().int(), name: z.string() });

export const LocationLicenseSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  attribution: z.looseObject({ name: z.string(), url: z.string().nullable() }),
  dateFrom: z.string().nullable(),
  dateTo: z.string().nullable(),
});

export const LocationSchema = z.looseObject({
  id: z.number().int(),
  name: z.string().nullable(),
  locality: z.string().nullable(),
  timezone: z.string(),
  country: z.looseObject({ id: z.number().int().nullable(), code: z.string(), name: z.string() }),
  owner: EntitySchema,
  provider: EntitySchema,
  isMobile: z.boolean(),
  isMonitor: z.boolean(),
  instruments: z.array(EntitySchema),
  sensors: z.array(SensorBaseSchema),
  coordinates: CoordinatesSchema,
  licenses: z.array(LocationLicenseSchema).nullable(),
  bounds: z.array(z.number()).length(4),
  distance: z.number().nullable().optional(),
  datetimeFirst: DatetimeObjectSchema.nullable(),
  datetimeLast: DatetimeObjectSchema.nullable(),
});

export const PeriodSchema = z.looseObject({
  label: z.string(),
  interval: z.string(),
  datetimeFrom: DatetimeObjectSchema,
  datetimeTo: DatetimeObjectSchema,
});

export const CoverageSchema = z.looseObject({
  expectedCount: z.number(),
  expectedInterval: z.string(),
  observedCount: z.number(),
  observedInterval: z.string(),
  percentComplete: z.number(),
  percentCoverage: z.number(),
  datetimeFrom: DatetimeObjectSchema.nullable(),
  datetimeTo: DatetimeObjectSchema.nullable(),
});

const nullableNumber = z.number().nullable().optional();
export const SummarySchema = z.looseObject({
  min: nullableNumber,
  q02: nullableNumber,
  q25: nullableNumber,
  median: nullableNumber,
  q75: nullableNumber,
  q98: nullableNumber,
  max: nullableNumber,
  avg: nullableNumber,
  sd: nullableNumber,
});

/**
 * One row of `/v3/sensors/{id}/measurements`. The server model types raw `value` as a float, the
 * hourly/daily rows as nullable; null is accepted here so the transform can quarantine it with a
 * reason instead of the whole day failing. `period` is required: the day rule depends on it.
 */
export const MeasurementSchema = z.looseObject({
  value: z.number().nullable(),
  flagInfo: z.looseObject({ hasFlags: z.boolean() }),
  parameter: ParameterBaseSchema,
  period: PeriodSchema,
  coordinates: CoordinatesSchema.nullable(),
  summary: SummarySchema.nullable(),
  coverage: CoverageSchema.nullable(),
});

export const SensorSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  parameter: ParameterBaseSchema,
  datetimeFirst: DatetimeObjectSchema.nullable(),
  datetimeLast: DatetimeObjectSchema.nullable(),
  coverage: CoverageSchema.nullable(),
  latest: z
    .looseObject({ datetime: DatetimeObjectSchema, value: z.number(), coordinates: CoordinatesSchema })
    .nullable(),
  summary: SummarySchema.nullable(),
});

export function envelopeSchema<T extends z.ZodType>(row: T) {
  return z.looseObject({ meta: MetaSchema, results: z.array(row) });
}

export const LocationsResponseSchema = envelopeSchema(LocationSchema);
export const MeasurementsResponseSchema = envelopeSchema(MeasurementSchema);
export const SensorsResponseSchema = envelopeSchema(SensorSchema);
