import { assertEnvironment } from "@openaq-lakehouse/pipeline-core";
import type { OwoxDataMartSpec, OwoxEnvironmentSpec } from "../environment/owox-output.js";

/** A problem the user can fix; printed as one sentence, never with a stack trace. */
export class OwoxSyncError extends Error {
  override readonly name = "OwoxSyncError";
}

const SECRET_PLACEHOLDER = "[secret]";
/** Athena names OWOX accepts: `database.view` or `catalog.database.view` (docs/owox.md). */
const FULLY_QUALIFIED_NAME = /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+){1,2}$/;

function text(value: unknown, where: string): string {
  if (value === SECRET_PLACEHOLDER) {
    throw new OwoxSyncError(
      `${where} is hidden: read the outputs with \`pulumi stack output --json --show-secrets\`.`,
    );
  }
  if (typeof value !== "string" || value.trim() === "")
    throw new OwoxSyncError(`${where} must be a non-empty string in the stack output.`);
  return value;
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (value === SECRET_PLACEHOLDER) {
    throw new OwoxSyncError(
      `${where} is hidden: read the outputs with \`pulumi stack output --json --show-secrets\`.`,
    );
  }
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new OwoxSyncError(`${where} is missing from the stack output.`);
  return value as Record<string, unknown>;
}

/**
 * The `owox` output of an environment stack, from `pulumi stack output --json --show-secrets`
 * (all outputs) or from the `owox` output alone.
 */
export function parseOwoxStackOutput(json: unknown): OwoxEnvironmentSpec {
  const all = object(json, "The stack output");
  const owox = object("owox" in all ? all.owox : all, "Output `owox`");
  const environment = assertEnvironment(text(owox.environment, "owox.environment"));
  const storage = object(owox.storage, "owox.storage");
  if (storage.type !== "AWS_ATHENA") throw new OwoxSyncError("owox.storage.type must be AWS_ATHENA.");
  const config = object(storage.config, "owox.storage.config");
  const credentials = object(storage.credentials, "owox.storage.credentials");
  const outputBucket = text(config.outputBucket, "owox.storage.config.outputBucket");
  if (/^s3:|\//.test(outputBucket))
    throw new OwoxSyncError(
      "owox.storage.config.outputBucket must be a bare bucket name (no s3://, no prefix).",
    );
  const marts = owox.dataMarts;
  if (!Array.isArray(marts) || marts.length === 0)
    throw new OwoxSyncError("owox.dataMarts must list at least one data mart.");
  const dataMarts = marts.map((m, i): OwoxDataMartSpec => {
    const mart = object(m, `owox.dataMarts[${i}]`);
    if (mart.definitionType !== "VIEW")
      throw new OwoxSyncError(`owox.dataMarts[${i}].definitionType must be VIEW.`);
    const fqn = text(
      object(mart.definition, `owox.dataMarts[${i}].definition`).fullyQualifiedName,
      `owox.dataMarts[${i}].definition.fullyQualifiedName`,
    );
    if (!FULLY_QUALIFIED_NAME.test(fqn))
      throw new OwoxSyncError(
        `owox.dataMarts[${i}].definition.fullyQualifiedName ${JSON.stringify(fqn)} is not database.view.`,
      );
    return {
      title: text(mart.title, `owox.dataMarts[${i}].title`),
      definitionType: "VIEW",
      definition: { fullyQualifiedName: fqn },
    };
  });
  const titles = new Set(dataMarts.map((m) => m.title));
  if (titles.size !== dataMarts.length)
    throw new OwoxSyncError("owox.dataMarts titles must be unique (they are how the sync finds them).");
  return {
    environment,
    storage: {
      type: "AWS_ATHENA",
      title: text(storage.title, "owox.storage.title"),
      config: { region: text(config.region, "owox.storage.config.region"), outputBucket },
      credentials: {
        accessKeyId: text(credentials.accessKeyId, "owox.storage.credentials.accessKeyId"),
        secretAccessKey: text(credentials.secretAccessKey, "owox.storage.credentials.secretAccessKey"),
      },
    },
    dataMarts,
  };
}
