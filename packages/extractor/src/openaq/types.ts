import type { z } from "zod";
import type {
  CoordinatesSchema,
  CoverageSchema,
  DatetimeObjectSchema,
  envelopeSchema,
  LocationSchema,
  MeasurementSchema,
  MetaSchema,
  ParameterBaseSchema,
  PeriodSchema,
  SensorBaseSchema,
  SensorSchema,
  SummarySchema,
} from "./schemas.js";

/** The TypeScript shapes of OpenAQ v3 responses, inferred from the runtime schemas (one source). */
export type DatetimeObject = z.infer<typeof DatetimeObjectSchema>;
export type Meta = z.infer<typeof MetaSchema>;
export type ParameterBase = z.infer<typeof ParameterBaseSchema>;
export type SensorBase = z.infer<typeof SensorBaseSchema>;
export type Coordinates = z.infer<typeof CoordinatesSchema>;
export type Location = z.infer<typeof LocationSchema>;
export type Period = z.infer<typeof PeriodSchema>;
export type Coverage = z.infer<typeof CoverageSchema>;
export type Summary = z.infer<typeof SummarySchema>;
export type Measurement = z.infer<typeof MeasurementSchema>;
export type Sensor = z.infer<typeof SensorSchema>;

/** A page as `envelopeSchema` defines it (its `meta` from the schema), with results of type T. */
export type Envelope<T> = Pick<z.infer<ReturnType<typeof envelopeSchema>>, "meta"> & { results: T[] };

/** One HTTP response as received: the exact body bytes beside the parsed, validated envelope. */
export interface FetchedPage<T> {
  /** The request URL. The API key travels in a header and never appears here. */
  url: string;
  status: number;
  /** Response headers, names lower-cased, as received (filter with `sidecarHeaders` before storing). */
  headers: Record<string, string>;
  /** When the body was received, ISO-8601 UTC. */
  fetchedAt: string;
  /** The body exactly as received (after transfer decoding): these bytes go to the raw layer. */
  body: Uint8Array;
  data: Envelope<T>;
}
