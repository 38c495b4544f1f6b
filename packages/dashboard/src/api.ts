import {
  databaseName,
  ENVIRONMENTS,
  type Environment,
  type IsoDay,
  isEnvironment,
  isIsoDay,
} from "@openaq-lakehouse/pipeline-core";

/** A request the dashboard cannot answer as asked: HTTP 400 with this sentence. */
export class BadRequest extends Error {
  override readonly name = "BadRequest";
}

/** A city name as a SQL string literal (quotes doubled; same syntax in DuckDB and Athena). */
function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function only(params: URLSearchParams, allowed: readonly string[]): void {
  for (const key of new Set(params.keys())) {
    if (!allowed.includes(key))
      throw new BadRequest(`Unknown parameter ${JSON.stringify(key)}: expected ${allowed.join(", ")}.`);
    if (params.getAll(key).length > 1) throw new BadRequest(`The parameter ${key} is given more than once.`);
  }
}

/** `env` of the request; the dashboard's own environment when absent. */
export function requestEnv(
  params: URLSearchParams,
  fallback: Environment,
  offered: readonly Environment[],
): Environment {
  const env = params.get("env") ?? fallback;
  if (!isEnvironment(env))
    throw new BadRequest(`Unknown env ${JSON.stringify(env)}: expected ${ENVIRONMENTS.join(" or ")}.`);
  if (!offered.includes(env))
    throw new BadRequest(`This dashboard reads ${offered.join(" and ")} only, not ${env}.`);
  return env;
}

/** What /api/latest and /api/daily were asked for, validated. */
export interface RowFilter {
  city?: string;
  locations?: number[];
  /** Inclusive local days. */
  from?: IsoDay;
  to?: IsoDay;
}

function cityOf(params: URLSearchParams): string | undefined {
  const city = params.get("city");
  if (city === null) return undefined;
  if (city.trim() === "") throw new BadRequest("The parameter city is empty: leave it out for every city.");
  return city;
}

/** The parameters of `GET /api/latest?env=&city=`. */
export function latestFilter(params: URLSearchParams): RowFilter {
  only(params, ["env", "city"]);
  const city = cityOf(params);
  return city === undefined ? {} : { city };
}

/** The parameters of `GET /api/daily?env=&city=&location=1,2&from=YYYY-MM-DD&to=YYYY-MM-DD`. */
export function dailyFilter(params: URLSearchParams): RowFilter {
  only(params, ["env", "city", "location", "from", "to"]);
  const filter: RowFilter = {};
  const city = cityOf(params);
  if (city !== undefined) filter.city = city;
  const location = params.get("location");
  if (location !== null) {
    const ids = location.split(",");
    if (!ids.every((id) => /^[1-9][0-9]{0,9}$/.test(id)))
      throw new BadRequest(
        `Invalid location ${JSON.stringify(location)}: expected location ids, e.g. 2161,7441.`,
      );
    filter.locations = [...new Set(ids.map(Number))];
  }
  for (const name of ["from", "to"] as const) {
    const value = params.get(name);
    if (value === null) continue;
    if (!isIsoDay(value))
      throw new BadRequest(`Invalid ${name} ${JSON.stringify(value)}: expected a day as YYYY-MM-DD.`);
    filter[name] = value;
  }
  if (filter.from !== undefined && filter.to !== undefined && filter.to < filter.from)
    throw new BadRequest(`The range ends (to ${filter.to}) before it starts (from ${filter.from}).`);
  return filter;
}

function whereSql(filter: RowFilter): string {
  const where: string[] = [];
  if (filter.city !== undefined) where.push(`city = ${literal(filter.city)}`);
  if (filter.locations !== undefined) where.push(`location_id IN (${filter.locations.join(", ")})`);
  if (filter.from !== undefined) where.push(`day >= DATE '${filter.from}'`);
  if (filter.to !== undefined) where.push(`day <= DATE '${filter.to}'`);
  return where.length ? ` WHERE ${where.join(" AND ")}` : "";
}

/** `GET /api/latest`: view_latest_aqi's rows, every column, by location id. */
export function latestSql(env: Environment, params: URLSearchParams): string {
  return `SELECT * FROM ${databaseName(env)}.view_latest_aqi${whereSql(latestFilter(params))} ORDER BY location_id`;
}

/** `GET /api/daily`: view_daily_average's rows, every column, by location then day. */
export function dailySql(env: Environment, params: URLSearchParams): string {
  return `SELECT * FROM ${databaseName(env)}.view_daily_average${whereSql(dailyFilter(params))} ORDER BY location_id, day`;
}

/** The same filter as `whereSql`, applied to rows already read (the cached full views). */
export function filterRows(
  rows: ReadonlyArray<Record<string, unknown>>,
  filter: RowFilter,
): Array<Record<string, unknown>> {
  const ids = filter.locations && new Set(filter.locations);
  return rows.filter(
    (r) =>
      (filter.city === undefined || r.city === filter.city) &&
      (ids === undefined || ids.has(r.location_id as number)) &&
      (filter.from === undefined || (r.day as string) >= filter.from) &&
      (filter.to === undefined || (r.day as string) <= filter.to),
  );
}

/**
 * `GET /api/cities?env=`: every city of either serving view with its number of locations, so the
 * filter also offers a city whose stations have gone quiet but still have a trend.
 */
export function citiesSql(env: Environment, params: URLSearchParams): string {
  citiesFilter(params);
  const db = databaseName(env);
  return `SELECT city, count(DISTINCT location_id) AS locations
FROM (
  SELECT city, location_id FROM ${db}.view_latest_aqi
  UNION
  SELECT city, location_id FROM ${db}.view_daily_average
) AS located
WHERE city IS NOT NULL
GROUP BY city
ORDER BY city`;
}

/** `GET /api/cities` takes only `env`. */
export function citiesFilter(params: URLSearchParams): void {
  only(params, ["env"]);
}
