import { SERVING_VIEWS, type ServingView } from "@openaq-lakehouse/pipeline-core";
import type { OwoxEnvironmentSpec } from "../environment/owox-output.js";
import type { OwoxClient } from "./client.js";
import { LOOKER_CACHE_LIFETIME_SECONDS, lookerLinkingUrl } from "./looker-link.js";
import { OwoxSyncError } from "./stack-output.js";

export type SyncAction = "created" | "updated" | "unchanged";

export interface SyncReport {
  environment: string;
  storage: {
    id: string;
    title: string;
    action: SyncAction;
    accessValid: boolean | null;
    accessError?: string;
  };
  dataMarts: Array<{ id: string; title: string; fullyQualifiedName: string; action: SyncAction }>;
  /** The Looker Studio destination, one OWOX report per data mart, and the Linking API URL. */
  looker: {
    destination: { id: string; title: string; action: SyncAction };
    reports: Array<{ id: string; title: string; dataMartId: string; action: SyncAction }>;
    /** Present when the data marts cover every serving view. */
    url?: string;
  };
}

export function lookerDestinationTitle(environment: string): string {
  return `OpenAQ Looker Studio (${environment})`;
}

function single<T extends { id: string; title: string }>(
  items: T[],
  title: string,
  kind: string,
): T | undefined {
  const found = items.filter((i) => i.title === title);
  if (found.length > 1)
    throw new OwoxSyncError(
      `OWOX has ${found.length} ${kind}s titled "${title}"; rename or delete the extra ones, the sync finds them by title.`,
    );
  return found[0];
}

/**
 * Creates or updates the environment's Athena storage and its VIEW data marts, found by title.
 * Running it again with the same outputs sends no change: every write is preceded by a read
 * that shows it is needed.
 */
export async function syncOwox(
  client: OwoxClient,
  spec: OwoxEnvironmentSpec,
  opts: { validateAccess?: boolean; lookerTemplateReportId?: string } = {},
): Promise<SyncReport> {
  // --- storage ---
  const wantStorage = {
    title: spec.storage.title,
    config: { region: spec.storage.config.region, outputBucket: spec.storage.config.outputBucket },
    credentials: {
      accessKeyId: spec.storage.credentials.accessKeyId,
      secretAccessKey: spec.storage.credentials.secretAccessKey,
    },
  };
  const existing = single(await client.listStorages(), spec.storage.title, "storage");
  let storageAction: SyncAction;
  let storageId: string;
  if (!existing) {
    storageId = (await client.createStorage("AWS_ATHENA")).id;
    await client.updateStorage(storageId, wantStorage);
    storageAction = "created";
  } else {
    if (existing.type !== "AWS_ATHENA")
      throw new OwoxSyncError(
        `OWOX storage "${existing.title}" is of type ${existing.type}, not AWS_ATHENA.`,
      );
    storageId = existing.id;
    const current = await client.getStorage(storageId);
    // OWOX never returns the secret; an access key id names exactly one secret, so comparing ids suffices.
    const same =
      current.title === wantStorage.title &&
      current.config?.region === wantStorage.config.region &&
      current.config?.outputBucket === wantStorage.config.outputBucket &&
      current.credentials?.accessKeyId === wantStorage.credentials.accessKeyId;
    if (same) {
      storageAction = "unchanged";
    } else {
      await client.updateStorage(storageId, wantStorage);
      storageAction = "updated";
    }
  }
  const storage = await client.getStorage(storageId);
  if (storage.sharedForUse !== true || storage.sharedForMaintenance !== true) {
    await client.setStorageAvailability(storageId, { availableForUse: true, availableForMaintenance: true });
    if (storageAction === "unchanged") storageAction = "updated";
  }
  let accessValid: boolean | null = null;
  let accessError: string | undefined;
  if (opts.validateAccess ?? true) {
    const v = await client.validateStorage(storageId);
    accessValid = typeof v.valid === "boolean" ? v.valid : null;
    if (accessValid === false) accessError = v.errorMessage ?? "access validation failed";
  }

  // --- data marts ---
  const marts = await client.listDataMarts();
  const dataMarts: SyncReport["dataMarts"] = [];
  for (const want of spec.dataMarts) {
    const definition = {
      definitionType: want.definitionType,
      definition: { fullyQualifiedName: want.definition.fullyQualifiedName },
    };
    const found = single(marts, want.title, "data mart");
    let action: SyncAction = "unchanged";
    let id: string;
    if (!found) {
      id = (await client.createDataMart({ title: want.title, storageId })).id;
      action = "created";
    } else {
      id = found.id;
    }
    const mart = await client.getDataMart(id);
    if (mart.storage.id !== storageId) {
      throw new OwoxSyncError(
        `OWOX data mart "${want.title}" uses storage "${mart.storage.title}", not "${spec.storage.title}"; delete it and run the sync again.`,
      );
    }
    if (
      mart.definitionType !== "VIEW" ||
      mart.definition?.fullyQualifiedName !== want.definition.fullyQualifiedName
    ) {
      await client.setDefinition(id, definition);
      if (action === "unchanged") action = "updated";
    }
    if (mart.status !== "PUBLISHED") {
      await client.publish(id);
      if (action === "unchanged") action = "updated";
    }
    if (mart.sharedForReporting !== true || mart.sharedForMaintenance !== true) {
      await client.setDataMartAvailability(id, {
        availableForReporting: true,
        availableForMaintenance: true,
      });
      if (action === "unchanged") action = "updated";
    }
    dataMarts.push({ id, title: want.title, fullyQualifiedName: want.definition.fullyQualifiedName, action });
  }

  const looker = await syncLooker(client, spec, dataMarts, opts.lookerTemplateReportId);

  return {
    environment: spec.environment,
    storage: {
      id: storageId,
      title: spec.storage.title,
      action: storageAction,
      accessValid,
      ...(accessError ? { accessError } : {}),
    },
    dataMarts,
    looker,
  };
}

/**
 * The environment's Looker Studio destination and, per data mart, the OWOX report that makes it
 * available to Looker Studio (found by title; created when missing), then the Linking API URL.
 */
async function syncLooker(
  client: OwoxClient,
  spec: OwoxEnvironmentSpec,
  dataMarts: SyncReport["dataMarts"],
  templateReportId: string | undefined,
): Promise<SyncReport["looker"]> {
  const title = lookerDestinationTitle(spec.environment);
  const found = single(
    (await client.listDestinations()).filter((d) => d.type === "LOOKER_STUDIO"),
    title,
    "Looker Studio destination",
  );
  let destination: SyncReport["looker"]["destination"];
  if (found) {
    destination = { id: found.id, title, action: "unchanged" };
  } else {
    const created = await client.createLookerDestination(title);
    await client.setDestinationAvailability(created.id, {
      availableForUse: true,
      availableForMaintenance: true,
    });
    destination = { id: created.id, title, action: "created" };
  }
  const reports: SyncReport["looker"]["reports"] = [];
  const byView: Partial<Record<ServingView, { reportId: string; title: string }>> = {};
  for (const mart of dataMarts) {
    const existing = single(
      (await client.listReports(mart.id)).filter((r) => r.dataDestinationAccess?.id === destination.id),
      mart.title,
      "Looker Studio report",
    );
    const report = existing
      ? { id: existing.id, title: mart.title, dataMartId: mart.id, action: "unchanged" as const }
      : {
          id: (
            await client.createReport({
              title: mart.title,
              dataMartId: mart.id,
              dataDestinationId: destination.id,
              destinationConfig: {
                type: "looker-studio-config",
                cacheLifetime: LOOKER_CACHE_LIFETIME_SECONDS,
              },
            })
          ).id,
          title: mart.title,
          dataMartId: mart.id,
          action: "created" as const,
        };
    reports.push(report);
    const view = SERVING_VIEWS.find((v) => mart.fullyQualifiedName.endsWith(`.${v}`));
    if (view) byView[view] = { reportId: report.id, title: mart.title };
  }
  const complete = SERVING_VIEWS.every((v) => byView[v] !== undefined);
  const url = complete
    ? lookerLinkingUrl({
        env: spec.environment,
        ...(templateReportId !== undefined && { templateReportId }),
        owoxReportIds: Object.fromEntries(SERVING_VIEWS.map((v) => [v, byView[v]?.reportId])) as Record<
          ServingView,
          string
        >,
        dataSourceNames: Object.fromEntries(SERVING_VIEWS.map((v) => [v, byView[v]?.title])) as Record<
          ServingView,
          string
        >,
      })
    : undefined;
  return { destination, reports, ...(url !== undefined && { url }) };
}
