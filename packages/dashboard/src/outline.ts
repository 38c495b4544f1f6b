import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { PipelineError } from "@openaq-lakehouse/pipeline-core";
import type { Feature, MultiPolygon, Polygon } from "geojson";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";

/** The country the pipeline extracts (OpenAQ's Vietnam), by its Natural Earth name in world-atlas. */
export const DEFAULT_COUNTRY = "Vietnam";

export type CountryOutline = Feature<Polygon | MultiPolygon, { name: string }>;

/**
 * The country's outline as GeoJSON, from the pinned `world-atlas` package (Natural Earth 1:50m
 * admin-0 boundaries as TopoJSON), so the page draws its map with nothing fetched from the internet.
 */
export async function countryOutline(name: string = DEFAULT_COUNTRY): Promise<CountryOutline> {
  const file = createRequire(import.meta.url).resolve("world-atlas/countries-50m.json");
  const topology = JSON.parse(await readFile(file, "utf8")) as Topology<{
    countries: GeometryCollection<{ name: string }>;
  }>;
  const geometry = topology.objects.countries.geometries.find(
    (g) => (g.properties as { name?: string } | undefined)?.name === name,
  );
  if (!geometry || (geometry.type !== "Polygon" && geometry.type !== "MultiPolygon")) {
    throw new PipelineError(
      "UNKNOWN_COUNTRY",
      `world-atlas has no country outline named ${JSON.stringify(name)}.`,
    );
  }
  return feature(topology, geometry) as CountryOutline;
}
