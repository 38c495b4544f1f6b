import {
  databaseName,
  ENVIRONMENTS,
  type Environment,
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

function cityFilter(params: URLSearchParams): string | undefined {
  const city = params.get("city");
  if (city === null) return undefined;
  if (city.trim() === "") throw new BadRequest("The parameter city is empty: leave it out for every city.");
  return `city = ${literal(city)}`;
}

/** `GET /api/latest?env=&city=`: view_latest_aqi's rows, every column, by location id. */
export function latestSql(env: Environment, params: URLSearchParams): string {
  only(params, ["env", "city"]);
  const where = cityFilter(params);
  return `SELECT * FROM ${databaseName(env)}.view_latest_aqi${where ? ` WHERE ${where}` : ""} ORDER BY location_id`;
}

/**
 * `GET /api/daily?env=&city=&location=1,2&from=YYYY-MM-DD&to=YYYY-MM-DD`: view_daily_average's
 * rows, every column, by location then day. `from` and `to` are inclusive local days.
 */
export function dailySql(env: Environment, params: URLSearchParams): string {
  only(params, ["env", "city", "location", "from", "to"]);
  const where: string[] = [];
  const city = cityFilter(params);
  if (city) where.push(city);
  const location = params.get("location");
  if (location !== null) {
    const ids = location.split(",");
    if (!ids.every((id) => /^[1-9][0-9]{0,9}$/.test(id)))
      throw new BadRequest(
        `Invalid location ${JSON.stringify(location)}: expected location ids, e.g. 2161,7441.`,
      );
    where.push(`location_id IN (${[...new Set(ids)].join(", ")})`);
  }
  const from = params.get("from");
  const to = params.get("to");
  for (const [name, value] of [
    ["from", from],
    ["to", to],
  ] as const) {
    if (value !== null && !isIsoDay(value))
      throw new BadRequest(`Invalid ${name} ${JSON.stringify(value)}: expected a day as YYYY-MM-DD.`);
  }
  if (from !== null && to !== null && to < from)
    throw new BadRequest(`The range ends (to ${to}) before it starts (from ${from}).`);
  if (from !== null) where.push(`day >= DATE '${from}'`);
  if (to !== null) where.push(`day <= DATE '${to}'`);
  return `SELECT * FROM ${databaseName(env)}.view_daily_average${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY location_id, day`;
}

/**
 * `GET /api/cities?env=`: every city of either serving view with its number of locations, so the
 * filter also offers a city whose stations have gone quiet but still have a trend.
 */
export function citiesSql(env: Environment, params: URLSearchParams): string {
  only(params, ["env"]);
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
