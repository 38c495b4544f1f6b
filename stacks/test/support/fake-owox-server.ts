import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the OWOX Data Marts REST API: the endpoints the sync calls, with request
 * bodies validated the way OWOX validates them (its DTOs and zod schemas, docs/owox.md:
 * AthenaConfigSchema, AthenaCredentialsSchema, UpdateDataStorageApiDto,
 * ViewDefinitionSchema, the availability DTOs) and unknown fields rejected. Binds 127.0.0.1 only.
 */

type Json = Record<string, unknown>;

interface StorageRow {
  id: string;
  title: string;
  type: string;
  config?: { region: string; outputBucket: string };
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  sharedForUse: boolean;
  sharedForMaintenance: boolean;
  createdAt: string;
  modifiedAt: string;
}

interface DataMartRow {
  id: string;
  title: string;
  storageId: string;
  status: "DRAFT" | "PUBLISHED";
  definitionType?: string;
  definition?: Json;
  sharedForReporting: boolean;
  sharedForMaintenance: boolean;
  createdAt: string;
  modifiedAt: string;
}

interface DestinationRow {
  id: string;
  title: string;
  type: string;
  sharedForUse: boolean;
  sharedForMaintenance: boolean;
}

interface ReportRow {
  id: string;
  title: string;
  dataMartId: string;
  dataDestinationId: string;
  destinationConfig: { type: string; cacheLifetime: number };
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

class BadRequest extends Error {}

const STORAGE_TYPES = [
  "GOOGLE_BIGQUERY",
  "AWS_ATHENA",
  "SNOWFLAKE",
  "AWS_REDSHIFT",
  "DATABRICKS",
  "LEGACY_GOOGLE_BIGQUERY",
];
const DEFINITION_TYPES = ["SQL", "TABLE", "VIEW", "TABLE_PATTERN", "CONNECTOR"];
const ATHENA_IDENTIFIER = /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+){1,2}$/;

function only(body: Json, allowed: string[], dto: string): void {
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw new BadRequest(`${dto}: property ${extra.join(", ")} should not exist`);
}
function nonEmptyString(v: unknown, message: string): string {
  if (typeof v !== "string" || v.length < 1) throw new BadRequest(message);
  return v;
}
function isObject(v: unknown): v is Json {
  return !!v && typeof v === "object" && !Array.isArray(v);
}
function bool(v: unknown, name: string): boolean {
  if (typeof v !== "boolean") throw new BadRequest(`${name} must be a boolean value`);
  return v;
}
/**
 * `PUT …/availability`: the DTO's two booleans (`availableFor{Use|Reporting}`, `availableForMaintenance`)
 * and nothing else, onto the row's `sharedFor…` flags. Answers no content.
 */
function setAvailability<S extends "Use" | "Reporting">(
  row: Record<`sharedFor${S}` | "sharedForMaintenance", boolean>,
  sharing: S,
  body: unknown,
  dto: string,
): undefined {
  if (!isObject(body)) throw new BadRequest("body required");
  const shared = `availableFor${sharing}` as const;
  only(body, [shared, "availableForMaintenance"], dto);
  row[`sharedFor${sharing}`] = bool(body[shared], shared);
  row.sharedForMaintenance = bool(body.availableForMaintenance, "availableForMaintenance");
  return undefined;
}
/** `/api/{collection}/{id}` with an optional `/{sub}`: the item (a 404 when unknown) and the sub-path. */
function itemRoute<T>(
  path: string,
  collection: string,
  items: ReadonlyMap<string, T>,
  notFound: string,
): { item: T; sub: string | undefined } | undefined {
  const m = new RegExp(`^/api/${collection}/([^/]+)(/[a-z-]+)?$`).exec(path);
  if (!m) return undefined;
  const item = items.get(decodeURIComponent(m[1] ?? ""));
  if (item === undefined) throw Object.assign(new Error(notFound), { status: 404 });
  return { item, sub: m[2] };
}

/** What a data mart's list item and its full response both carry after their own fields. */
function martCountsOwnersAndTimes(d: DataMartRow) {
  return {
    triggersCount: 0,
    reportsCount: 0,
    createdByUser: null,
    businessOwnerUsers: [],
    technicalOwnerUsers: [],
    createdAt: d.createdAt,
    modifiedAt: d.modifiedAt,
  };
}

export class FakeOwoxServer {
  readonly apiKeyId = "pmk_test_0001";
  readonly apiKeySecret = "s3cr3t-api-key";
  readonly storages = new Map<string, StorageRow>();
  readonly dataMarts = new Map<string, DataMartRow>();
  readonly destinations = new Map<string, DestinationRow>();
  readonly reports = new Map<string, ReportRow>();
  readonly requests: RecordedRequest[] = [];
  /** Page size of GET /api/data-marts, small so the client must follow `nextOffset`. */
  pageSize = 2;
  private readonly tokens = new Set<string>();
  private server: Server | undefined;
  origin = "";

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.origin;
  }

  async stop(): Promise<void> {
    await new Promise<void>(
      (resolve, reject) => this.server?.close((e) => (e ? reject(e) : resolve())) ?? resolve(),
    );
  }

  /** Requests that change OWOX's state (everything but reads, the token exchange and the access check). */
  mutations(): RecordedRequest[] {
    return this.requests.filter(
      (r) =>
        r.method !== "GET" &&
        !r.path.endsWith("/validate-access") &&
        r.path !== "/api/auth/api-keys/exchange",
    );
  }

  snapshot(): unknown {
    return JSON.parse(
      JSON.stringify({
        storages: [...this.storages.values()],
        dataMarts: [...this.dataMarts.values()],
        destinations: [...this.destinations.values()],
        reports: [...this.reports.values()],
      }),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", this.origin);
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return send(res, 400, { message: "Invalid JSON" });
    }
    this.requests.push({ method: req.method ?? "", path: url.pathname, body });
    try {
      const result = this.route(req, url, body);
      if (result === undefined) return send(res, 204);
      return send(res, result.status ?? 200, result.body);
    } catch (e) {
      if (e instanceof BadRequest) return send(res, 400, { statusCode: 400, message: e.message });
      if ((e as { status?: number }).status)
        return send(res, (e as { status: number }).status, { message: (e as Error).message });
      return send(res, 500, { message: (e as Error).message });
    }
  }

  private route(
    req: IncomingMessage,
    url: URL,
    body: unknown,
  ): { status?: number; body: unknown } | undefined {
    const method = req.method;
    const path = url.pathname;
    if (method === "POST" && path === "/api/auth/api-keys/exchange") {
      if (req.headers["x-owox-api-key-id"] !== this.apiKeyId)
        throw Object.assign(new Error("Unknown API key"), { status: 401 });
      if (!isObject(body)) throw new BadRequest("body required");
      only(body, ["apiKeySecret"], "ExchangeApiKeyDto");
      if (body.apiKeySecret !== this.apiKeySecret)
        throw Object.assign(new Error("Invalid API key"), { status: 401 });
      const token = randomUUID();
      this.tokens.add(token);
      return { status: 201, body: { accessToken: token } };
    }
    const auth = String(req.headers["x-owox-authorization"] ?? "");
    if (
      !auth.startsWith("Bearer ") ||
      !this.tokens.has(auth.slice(7)) ||
      req.headers["x-owox-api-key-id"] !== this.apiKeyId
    ) {
      throw Object.assign(new Error("Unauthorized"), { status: 401 });
    }

    if (path === "/api/data-storages") {
      if (method === "GET") return { body: [...this.storages.values()].map((s) => this.storageListItem(s)) };
      if (method === "POST") return { status: 201, body: this.createStorage(body) };
    }
    const storageRoute = itemRoute(path, "data-storages", this.storages, "Storage not found");
    if (storageRoute) {
      const { item: storage, sub } = storageRoute;
      if (!sub && method === "GET") return { body: this.storageResponse(storage) };
      if (!sub && method === "PUT") return { body: this.updateStorage(storage, body) };
      if (sub === "/validate-access" && method === "POST") {
        if (body !== undefined) throw new BadRequest("validate-access takes no body");
        return storage.credentials && storage.config
          ? { body: { valid: true } }
          : { body: { valid: false, errorMessage: "Invalid credentials", code: "UNCONFIGURED" } };
      }
      if (sub === "/availability" && method === "PUT")
        return setAvailability(storage, "Use", body, "UpdateStorageAvailabilityApiDto");
    }
    if (path === "/api/data-marts") {
      if (method === "GET") {
        const offset = Number(url.searchParams.get("offset") ?? "0");
        if (!Number.isInteger(offset) || offset < 0) throw new BadRequest("offset must be an integer >= 0");
        const all = [...this.dataMarts.values()];
        const items = all.slice(offset, offset + this.pageSize).map((d) => this.dataMartListItem(d));
        return {
          body: {
            items,
            total: all.length,
            nextOffset: offset + this.pageSize < all.length ? offset + this.pageSize : null,
          },
        };
      }
      if (method === "POST") return { status: 201, body: this.createDataMart(body) };
    }
    const martRoute = itemRoute(path, "data-marts", this.dataMarts, "Data mart not found");
    if (martRoute) {
      const { item: mart, sub } = martRoute;
      if (!sub && method === "GET") return { body: this.dataMartResponse(mart) };
      if (sub === "/definition" && method === "PUT") return { body: this.setDefinition(mart, body) };
      if (sub === "/publish" && method === "PUT") {
        if (!mart.definitionType) throw new BadRequest("Data mart has no definition");
        mart.status = "PUBLISHED";
        return { body: this.dataMartResponse(mart) };
      }
      if (sub === "/availability" && method === "PUT")
        return setAvailability(mart, "Reporting", body, "UpdateDataMartAvailabilityApiDto");
    }
    if (path === "/api/data-destinations") {
      if (method === "GET")
        return { body: [...this.destinations.values()].map((d) => this.destinationResponse(d)) };
      if (method === "POST") return { status: 201, body: this.createDestination(body) };
    }
    const destinationRoute = itemRoute(path, "data-destinations", this.destinations, "Destination not found");
    if (destinationRoute?.sub === "/availability" && method === "PUT")
      return setAvailability(destinationRoute.item, "Use", body, "UpdateDestinationAvailabilityApiDto");
    const reportsOfMart = /^\/api\/reports\/data-mart\/([^/]+)$/.exec(path);
    if (reportsOfMart && method === "GET") {
      const martId = decodeURIComponent(reportsOfMart[1] ?? "");
      if (!this.dataMarts.has(martId)) throw Object.assign(new Error("Data mart not found"), { status: 404 });
      return {
        body: [...this.reports.values()]
          .filter((r) => r.dataMartId === martId)
          .map((r) => this.reportResponse(r)),
      };
    }
    if (path === "/api/reports" && method === "POST") return { status: 201, body: this.createReport(body) };
    throw Object.assign(new Error(`Cannot ${method} ${path}`), { status: 404 });
  }

  private createDestination(body: unknown): unknown {
    if (!isObject(body)) throw new BadRequest("body required");
    only(body, ["title", "type", "credentials", "ownerIds", "config"], "CreateDataDestinationApiDto");
    const title = nonEmptyString(body.title, "title is required");
    if (body.type !== "LOOKER_STUDIO")
      throw new BadRequest("only LOOKER_STUDIO destinations are modelled here");
    if (!isObject(body.credentials) || body.credentials.type !== "looker-studio-credentials")
      throw new BadRequest("credentials.type must be looker-studio-credentials");
    const row: DestinationRow = {
      id: randomUUID(),
      title,
      type: body.type,
      sharedForUse: false,
      sharedForMaintenance: false,
    };
    this.destinations.set(row.id, row);
    return this.destinationResponse(row);
  }

  private destinationResponse(d: DestinationRow): unknown {
    return {
      id: d.id,
      title: d.title,
      type: d.type,
      credentials: { type: "looker-studio-credentials", destinationId: d.id },
    };
  }

  private createReport(body: unknown): unknown {
    if (!isObject(body)) throw new BadRequest("body required");
    only(
      body,
      [
        "title",
        "dataMartId",
        "dataDestinationId",
        "destinationConfig",
        "columnConfig",
        "filterConfig",
        "sortConfig",
        "limitConfig",
        "aggregationConfig",
        "dateTruncConfig",
        "uniqueCountConfig",
      ],
      "CreateReportRequestApiDto",
    );
    const title = nonEmptyString(body.title, "title is required");
    const mart = this.dataMarts.get(nonEmptyString(body.dataMartId, "dataMartId is required"));
    if (!mart) throw Object.assign(new Error("Data mart not found"), { status: 404 });
    if (mart.status !== "PUBLISHED") throw new BadRequest("Data mart is not published");
    const destination = this.destinations.get(
      nonEmptyString(body.dataDestinationId, "dataDestinationId is required"),
    );
    if (!destination) throw Object.assign(new Error("Destination not found"), { status: 404 });
    const config = body.destinationConfig;
    // LookerStudioConnectorConfigSchema: type "looker-studio-config", cacheLifetime in seconds, at least 60
    if (!isObject(config) || config.type !== "looker-studio-config")
      throw new BadRequest("destinationConfig.type must be looker-studio-config");
    only(config, ["type", "cacheLifetime"], "LookerStudioConnectorConfig");
    if (typeof config.cacheLifetime !== "number" || config.cacheLifetime < 60)
      throw new BadRequest("destinationConfig.cacheLifetime must be a number >= 60");
    const row: ReportRow = {
      id: randomUUID(),
      title,
      dataMartId: mart.id,
      dataDestinationId: destination.id,
      destinationConfig: { type: config.type, cacheLifetime: config.cacheLifetime },
    };
    this.reports.set(row.id, row);
    return this.reportResponse(row);
  }

  private reportResponse(r: ReportRow): unknown {
    const mart = this.dataMarts.get(r.dataMartId);
    const destination = this.destinations.get(r.dataDestinationId);
    if (!mart || !destination) throw new Error(`Report ${r.id} points at a deleted data mart or destination`);
    return {
      id: r.id,
      title: r.title,
      dataMart: this.dataMartResponse(mart),
      dataDestinationAccess: this.destinationResponse(destination),
      destinationConfig: r.destinationConfig,
      runsCount: 0,
    };
  }

  private createStorage(body: unknown): StorageRow {
    if (!isObject(body)) throw new BadRequest("body required");
    only(body, ["type", "ownerIds"], "CreateDataStorageApiDto");
    if (typeof body.type !== "string" || !STORAGE_TYPES.includes(body.type))
      throw new BadRequest(`type must be one of the following values: ${STORAGE_TYPES.join(", ")}`);
    const now = new Date().toISOString();
    const row: StorageRow = {
      id: randomUUID(),
      title: "",
      type: body.type,
      sharedForUse: false,
      sharedForMaintenance: false,
      createdAt: now,
      modifiedAt: now,
    };
    this.storages.set(row.id, row);
    return row;
  }

  private updateStorage(storage: StorageRow, body: unknown): unknown {
    if (!isObject(body)) throw new BadRequest("body required");
    only(
      body,
      [
        "title",
        "config",
        "credentials",
        "credentialId",
        "sourceStorageId",
        "ownerIds",
        "availableForUse",
        "availableForMaintenance",
      ],
      "UpdateDataStorageApiDto",
    );
    if (typeof body.title !== "string" || body.title.length > 255)
      throw new BadRequest("Title must be 255 characters or less");
    if (!isObject(body.config)) throw new BadRequest("config must be an object");
    if (storage.type === "AWS_ATHENA") {
      // AthenaConfigSchema (zod, not strict: extra keys are ignored)
      const config = {
        region: nonEmptyString(body.config.region, "region is required"),
        outputBucket: nonEmptyString(body.config.outputBucket, "outputBucket is required"),
      };
      if (body.credentials !== undefined) {
        if (!isObject(body.credentials)) throw new BadRequest("credentials must be an object");
        // AthenaCredentialsSchema
        const c = body.credentials;
        storage.credentials = {
          accessKeyId: nonEmptyString(c.accessKeyId, "accessKeyId is required"),
          secretAccessKey: nonEmptyString(c.secretAccessKey, "secretAccessKey is required"),
          ...(c.sessionToken !== undefined
            ? { sessionToken: nonEmptyString(c.sessionToken, "sessionToken must be a string") }
            : {}),
        };
      }
      storage.config = config;
    }
    storage.title = body.title;
    storage.modifiedAt = new Date().toISOString();
    return this.storageResponse(storage);
  }

  private storageListItem(s: StorageRow): unknown {
    const marts = [...this.dataMarts.values()].filter((d) => d.storageId === s.id);
    return {
      id: s.id,
      title: s.title,
      type: s.type,
      createdAt: s.createdAt,
      modifiedAt: s.modifiedAt,
      publishedDataMartsCount: marts.filter((d) => d.status === "PUBLISHED").length,
      draftDataMartsCount: marts.filter((d) => d.status === "DRAFT").length,
      createdByUser: null,
      ownerUsers: [],
      contexts: [],
    };
  }

  /** DataStorageResponseApiDto: credentials without sensitive fields (Athena: accessKeyId only). */
  private storageResponse(s: StorageRow): unknown {
    return {
      id: s.id,
      title: s.title,
      type: s.type,
      projectId: "project-1",
      credentials: s.credentials ? { accessKeyId: s.credentials.accessKeyId } : undefined,
      config: s.config,
      createdAt: s.createdAt,
      modifiedAt: s.modifiedAt,
      credentialId: null,
      createdByUser: null,
      ownerUsers: [],
      sharedForUse: s.sharedForUse,
      sharedForMaintenance: s.sharedForMaintenance,
    };
  }

  private createDataMart(body: unknown): unknown {
    if (!isObject(body)) throw new BadRequest("body required");
    only(body, ["title", "storageId"], "CreateDataMartApiDto");
    const title = nonEmptyString(body.title, "title is required");
    const storageId = nonEmptyString(body.storageId, "storageId is required");
    if (!this.storages.has(storageId)) throw Object.assign(new Error("Storage not found"), { status: 404 });
    const now = new Date().toISOString();
    const row: DataMartRow = {
      id: randomUUID(),
      title,
      storageId,
      status: "DRAFT",
      sharedForReporting: false,
      sharedForMaintenance: false,
      createdAt: now,
      modifiedAt: now,
    };
    this.dataMarts.set(row.id, row);
    return { id: row.id, title: row.title };
  }

  private setDefinition(mart: DataMartRow, body: unknown): unknown {
    if (!isObject(body)) throw new BadRequest("body required");
    only(
      body,
      ["definitionType", "definition", "sourceDataMartId", "sourceConfigurationId"],
      "UpdateDataMartDefinitionApiDto",
    );
    if (typeof body.definitionType !== "string" || !DEFINITION_TYPES.includes(body.definitionType))
      throw new BadRequest("definitionType must be a valid enum value");
    if (!isObject(body.definition)) throw new BadRequest("definition must be an object");
    if (body.definitionType === "VIEW") {
      // ViewDefinitionSchema + Athena identifier validation
      const fqn = nonEmptyString(body.definition.fullyQualifiedName, "fully qualified name is required");
      if (!ATHENA_IDENTIFIER.test(fqn))
        throw new BadRequest("Invalid identifier format. Expected: database.table or catalog.database.table");
      mart.definition = { fullyQualifiedName: fqn };
    } else {
      mart.definition = body.definition;
    }
    mart.definitionType = body.definitionType;
    mart.modifiedAt = new Date().toISOString();
    return this.dataMartResponse(mart);
  }

  private storageOf(d: DataMartRow): StorageRow {
    const storage = this.storages.get(d.storageId);
    if (!storage) throw new Error(`Data mart ${d.id} points at a deleted storage`);
    return storage;
  }

  private dataMartListItem(d: DataMartRow): unknown {
    const s = this.storageOf(d);
    return {
      id: d.id,
      title: d.title,
      status: d.status,
      storage: { type: s.type, title: s.title },
      description: null,
      definitionType: d.definitionType ?? null,
      ...martCountsOwnersAndTimes(d),
      contexts: [],
      availableForReporting: d.sharedForReporting,
      availableForMaintenance: d.sharedForMaintenance,
    };
  }

  private dataMartResponse(d: DataMartRow): unknown {
    return {
      id: d.id,
      title: d.title,
      status: d.status,
      storage: this.storageResponse(this.storageOf(d)),
      definitionType: d.definitionType,
      definition: d.definition,
      ...martCountsOwnersAndTimes(d),
      sharedForReporting: d.sharedForReporting,
      sharedForMaintenance: d.sharedForMaintenance,
    };
  }
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
