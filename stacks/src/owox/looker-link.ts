import { type Environment, SERVING_VIEWS, type ServingView } from "@openaq-lakehouse/pipeline-core";

/**
 * Looker Studio in one step: a Linking API URL that creates a report from a template, with each of
 * the template's data sources bound, through OWOX's Looker Studio connector, to one of the
 * environment's OWOX reports (an OWOX report is a data mart made available to Looker Studio).
 *
 * Linking API (https://developers.google.com/looker-studio/integrate/linking-api):
 *   https://lookerstudio.google.com/reporting/create?c.reportId=<template>&r.reportName=<name>
 *     &ds.<alias>.connector=community&ds.<alias>.connectorId=<Apps Script deployment id>
 *     &ds.<alias>.<connector config param>=<value>&ds.<alias>.datasourceName=<name>
 * OWOX's connector (docs/owox.md, "Looker Studio") has one config param, `reportId`: the OWOX report.
 */
export const LOOKER_LINKING_API_BASE = "https://lookerstudio.google.com/reporting/create";
/** The deployment id of the OWOX Data Marts community connector (docs/owox.md). */
export const OWOX_LOOKER_CONNECTOR_ID =
  "AKfycbz6kcYn3qGuG0jVNFjcDnkXvVDiz4hewKdAFjOm-_d4VkKVcBidPjqZO991AvGL3FtM4A";

/**
 * The data source alias of each serving view in the template report. The template must name its
 * data sources with exactly these aliases (Looker Studio: Resource > Manage added data sources >
 * the alias shown in the Linking API panel); the README says how the template is built.
 */
export const LOOKER_DATA_SOURCE_ALIASES: Readonly<Record<ServingView, string>> = {
  view_latest_aqi: "latest",
  view_daily_average: "daily",
};

/** The cache lifetime of the OWOX Looker Studio reports, seconds (OWOX's minimum is 60). */
export const LOOKER_CACHE_LIFETIME_SECONDS = 3600;

export function lookerReportName(env: Environment): string {
  return `OpenAQ air quality (${env})`;
}

export interface LookerLinkInput {
  env: Environment;
  /** The template report's id (from its URL, `/reporting/<id>`); without one, Looker Studio's default template. */
  templateReportId?: string;
  /** The OWOX report (Looker Studio availability) of each serving view. */
  owoxReportIds: Readonly<Record<ServingView, string>>;
  /** The data source names shown in Looker Studio, per view. */
  dataSourceNames: Readonly<Record<ServingView, string>>;
}

const REPORT_ID = /^[A-Za-z0-9_-]+$/;

/** The Linking API URL of one environment (parameters in a fixed order, values URL-encoded). */
export function lookerLinkingUrl(input: LookerLinkInput): string {
  const params = new URLSearchParams();
  if (input.templateReportId !== undefined) {
    if (!REPORT_ID.test(input.templateReportId))
      throw new Error(
        `The Looker Studio template report id ${JSON.stringify(input.templateReportId)} is not an id (the part after /reporting/ in its URL).`,
      );
    params.set("c.reportId", input.templateReportId);
  }
  params.set("r.reportName", lookerReportName(input.env));
  for (const view of SERVING_VIEWS) {
    const alias = LOOKER_DATA_SOURCE_ALIASES[view];
    const reportId = input.owoxReportIds[view];
    if (!reportId) throw new Error(`No OWOX report for ${view}: run the sync first.`);
    params.set(`ds.${alias}.connector`, "community");
    params.set(`ds.${alias}.connectorId`, OWOX_LOOKER_CONNECTOR_ID);
    params.set(`ds.${alias}.reportId`, reportId);
    params.set(`ds.${alias}.datasourceName`, input.dataSourceNames[view]);
  }
  return `${LOOKER_LINKING_API_BASE}?${params.toString()}`;
}
