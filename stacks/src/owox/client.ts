import type { OwoxApiKey } from "./api-key.js";
import { OwoxSyncError } from "./stack-output.js";

/**
 * The slice of OWOX Data Marts' REST API the sync uses (docs/owox.md; request bodies are
 * OWOX's DTOs field for field). Authentication: exchange the API key for an access token, then send
 * it as `x-owox-authorization: Bearer …` with the key id on every call.
 */

export interface StorageListItem {
  id: string;
  title: string;
  type: string;
}

export interface Storage extends StorageListItem {
  config?: { region?: string; outputBucket?: string };
  /** OWOX returns only the public part of credentials (for Athena: `accessKeyId`). */
  credentials?: { accessKeyId?: string };
  sharedForUse?: boolean;
  sharedForMaintenance?: boolean;
}

export interface UpdateStorageBody {
  title: string;
  config: { region: string; outputBucket: string };
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface DataMartListItem {
  id: string;
  title: string;
  status: string;
  definitionType?: string | null;
  storage: { type: string; title: string };
  availableForReporting?: boolean;
  availableForMaintenance?: boolean;
}

export interface DataMart {
  id: string;
  title: string;
  status: string;
  storage: { id: string; title: string; type: string };
  definitionType?: string;
  definition?: { fullyQualifiedName?: string };
  sharedForReporting?: boolean;
  sharedForMaintenance?: boolean;
}

export interface DefinitionBody {
  definitionType: "VIEW";
  definition: { fullyQualifiedName: string };
}

/** OWOX's DataStorageAccessValidationResponseApiDto. */
export interface AccessValidation {
  valid: boolean;
  errorMessage?: string;
  code?: string;
}

type Method = "GET" | "POST" | "PUT";

/** OWOX's DataDestinationResponseApiDto, the fields the sync reads. */
export interface Destination {
  id: string;
  title: string;
  type: string;
}

/** OWOX's ReportResponseApiDto, the fields the sync reads. */
export interface Report {
  id: string;
  title: string;
  dataMart: { id: string };
  dataDestinationAccess: { id: string };
  destinationConfig: { type: string; cacheLifetime?: number };
}

export interface CreateReportBody {
  title: string;
  dataMartId: string;
  dataDestinationId: string;
  destinationConfig: { type: "looker-studio-config"; cacheLifetime: number };
}

export class OwoxClient {
  private token: string | undefined;

  constructor(
    private readonly key: OwoxApiKey,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  private async authenticate(): Promise<string> {
    if (this.token) return this.token;
    const res = await this.send(
      "POST",
      "/api/auth/api-keys/exchange",
      { apiKeySecret: this.key.apiKeySecret },
      { "X-OWOX-Api-Key-Id": this.key.apiKeyId },
    );
    const body = (await res.json()) as { accessToken?: unknown };
    if (typeof body.accessToken !== "string")
      throw new OwoxSyncError("OWOX did not return an access token for the API key.");
    this.token = body.accessToken;
    return this.token;
  }

  private async send(
    method: Method,
    path: string,
    body: unknown,
    headers: Record<string, string>,
  ): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchImpl(new URL(path, this.key.apiOrigin), {
        method,
        headers: {
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (e) {
      throw new OwoxSyncError(`Cannot reach OWOX at ${this.key.apiOrigin} (${(e as Error).message}).`);
    }
    if (res.status === 401 || res.status === 403)
      throw new OwoxSyncError(`OWOX refused the API key (${res.status} on ${method} ${path}).`);
    if (!res.ok) {
      const detail = (await res.text()).slice(0, 300);
      throw new OwoxSyncError(`OWOX answered ${res.status} to ${method} ${path}: ${detail}`);
    }
    return res;
  }

  private async call<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const token = await this.authenticate();
    const res = await this.send(method, path, body, {
      "x-owox-authorization": `Bearer ${token}`,
      "X-OWOX-Api-Key-Id": this.key.apiKeyId,
    });
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  listStorages(): Promise<StorageListItem[]> {
    return this.call("GET", "/api/data-storages");
  }
  getStorage(id: string): Promise<Storage> {
    return this.call("GET", `/api/data-storages/${encodeURIComponent(id)}`);
  }
  createStorage(type: "AWS_ATHENA"): Promise<Storage> {
    return this.call("POST", "/api/data-storages", { type });
  }
  updateStorage(id: string, body: UpdateStorageBody): Promise<Storage> {
    return this.call("PUT", `/api/data-storages/${encodeURIComponent(id)}`, body);
  }
  validateStorage(id: string): Promise<AccessValidation> {
    return this.call("POST", `/api/data-storages/${encodeURIComponent(id)}/validate-access`);
  }
  setStorageAvailability(
    id: string,
    body: { availableForUse: boolean; availableForMaintenance: boolean },
  ): Promise<void> {
    return this.call("PUT", `/api/data-storages/${encodeURIComponent(id)}/availability`, body);
  }

  async listDataMarts(): Promise<DataMartListItem[]> {
    const items: DataMartListItem[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const page: { items: DataMartListItem[]; nextOffset: number | null } = await this.call(
        "GET",
        `/api/data-marts?offset=${offset}`,
      );
      items.push(...page.items);
      offset = page.nextOffset;
    }
    return items;
  }
  getDataMart(id: string): Promise<DataMart> {
    return this.call("GET", `/api/data-marts/${encodeURIComponent(id)}`);
  }
  createDataMart(body: { title: string; storageId: string }): Promise<DataMart> {
    return this.call("POST", "/api/data-marts", body);
  }
  setDefinition(id: string, body: DefinitionBody): Promise<DataMart> {
    return this.call("PUT", `/api/data-marts/${encodeURIComponent(id)}/definition`, body);
  }
  publish(id: string): Promise<DataMart> {
    return this.call("PUT", `/api/data-marts/${encodeURIComponent(id)}/publish`);
  }
  setDataMartAvailability(
    id: string,
    body: { availableForReporting: boolean; availableForMaintenance: boolean },
  ): Promise<void> {
    return this.call("PUT", `/api/data-marts/${encodeURIComponent(id)}/availability`, body);
  }

  listDestinations(): Promise<Destination[]> {
    return this.call("GET", "/api/data-destinations");
  }
  createLookerDestination(title: string): Promise<Destination> {
    return this.call("POST", "/api/data-destinations", {
      title,
      type: "LOOKER_STUDIO",
      credentials: { type: "looker-studio-credentials" },
    });
  }
  setDestinationAvailability(
    id: string,
    body: { availableForUse: boolean; availableForMaintenance: boolean },
  ): Promise<void> {
    return this.call("PUT", `/api/data-destinations/${encodeURIComponent(id)}/availability`, body);
  }
  listReports(dataMartId: string): Promise<Report[]> {
    return this.call("GET", `/api/reports/data-mart/${encodeURIComponent(dataMartId)}`);
  }
  createReport(body: CreateReportBody): Promise<Report> {
    return this.call("POST", "/api/reports", body);
  }
}
