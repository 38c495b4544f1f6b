/**
 * Query-parameter rules of the real API (docs/openaq.md, "Requests" and "Keys, limits and errors"):
 * unknown parameters are ignored; bad ones are a 422 in one of the API's three body shapes.
 */

export class QueryError extends Error {
  constructor(readonly body: unknown) {
    super("invalid query");
  }
}

function detail(type: string, param: string, msg: string, input: string, ctx?: Record<string, unknown>) {
  return { detail: [{ type, loc: ["query", param], msg, input, ...(ctx ? { ctx } : {}) }] };
}

export function intParam(
  q: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max?: number,
): number {
  const raw = q.get(name);
  if (raw === null) return fallback;
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) {
    // Shape C: a JSON string wrapping a Python repr.
    throw new QueryError(
      `[{'type': 'int_parsing', 'loc': ('query', '${name}'), 'msg': 'Input should be a valid integer, unable to parse string as an integer', 'input': '${raw}'}]`,
    );
  }
  const n = Number(raw);
  if (n < min)
    throw new QueryError(
      detail("greater_than", name, `Input should be greater than ${min - 1}`, raw, { gt: min - 1 }),
    );
  if (max !== undefined && n > max) {
    throw new QueryError(
      detail("less_than_equal", name, `Input should be less than or equal to ${max}`, raw, { le: max }),
    );
  }
  return n;
}

export function intListParam(q: URLSearchParams, name: string): number[] | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  const parts = raw.split(",");
  if (!parts.every((p) => /^\s*\d+\s*$/.test(p))) {
    throw new QueryError(
      detail(
        "int_parsing",
        name,
        "Input should be a valid integer, unable to parse string as an integer",
        raw,
      ),
    );
  }
  return parts.map(Number);
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A `datetime_from`/`datetime_to` value as epoch seconds. With an offset it is that instant; a
 * date or a naive datetime is read in the STATION's local zone (`offsetMinutes`), as the API does.
 * Note `+07:00` sent unencoded arrives as ` 07:00` and fails, as it does on the real API.
 */
export function datetimeParam(q: URLSearchParams, name: string, offsetMinutes: number): number | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  const d = DATE_ONLY.exec(raw);
  let localMs: number;
  let zoneMinutes = offsetMinutes;
  if (d) {
    localMs = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]));
  } else {
    const m = DATETIME.exec(raw);
    if (!m) {
      throw new QueryError(
        detail(
          "datetime_from_date_parsing",
          name,
          "Input should be a valid datetime or date, invalid character in year",
          raw,
        ),
      );
    }
    localMs = Date.UTC(
      Number(m[1]),
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6] ?? 0),
    );
    const zone = m[8];
    if (zone === "Z") zoneMinutes = 0;
    else if (zone) {
      const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone) as RegExpExecArray;
      zoneMinutes = (z[1] === "-" ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
    }
  }
  if (Number.isNaN(localMs))
    throw new QueryError(detail("datetime_parsing", name, "Input should be a valid datetime", raw));
  return Math.floor(localMs / 1000) - zoneMinutes * 60;
}
