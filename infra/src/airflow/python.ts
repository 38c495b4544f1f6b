import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RenderedDagSpec } from "./dag-spec.js";

/**
 * The Python side of the DAGs. `infra/airflow/dags/openaq_factory.py` is the one builder, a real
 * Python file (checked by `python3 -m py_compile` and `pyflakes3` in the tests); each environment's
 * DAG gets a JSON spec (rendered from `dag-spec.ts`, data only) and a three-line DAG file that names
 * it. Airflow puts the dags folder on `sys.path`, so the DAG files can import the factory, and
 * `.airflowignore` keeps the scheduler from parsing the factory as a DAG file of its own.
 */

export const FACTORY_MODULE = "openaq_factory";
export const FACTORY_PATH = join(
  dirname(fileURLToPath(import.meta.url)),
  `../../airflow/dags/${FACTORY_MODULE}.py`,
);
export const FACTORY_SOURCE = readFileSync(FACTORY_PATH, "utf8");

/** The spec format the factory accepts: defined once, in the factory (`SPEC_FORMAT = "…"`). */
export const DAG_SPEC_FORMAT = ((): string => {
  const m = /^SPEC_FORMAT = "([^"]+)"$/m.exec(FACTORY_SOURCE);
  if (!m?.[1]) throw new Error(`${FACTORY_PATH} defines no SPEC_FORMAT.`);
  return m[1];
})();

/** File name of a DAG's JSON spec in the dags folder. */
export function specFileName(dagId: string): string {
  return `${dagId}.json`;
}

export function renderSpecFile(spec: RenderedDagSpec): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}

/** One DAG file: names its spec and calls the factory; nothing rendered into Python but the file name. */
export function renderDagFile(spec: RenderedDagSpec): string {
  if (!/^[a-z0-9_]+$/.test(spec.dagId)) throw new Error(`Unexpected DAG id ${spec.dagId}.`);
  return [
    `"""Airflow DAG ${spec.dagId} (OpenAQ ingestion, ${spec.env}): built by ${FACTORY_MODULE} from ${specFileName(spec.dagId)}.`,
    "",
    "Part of the openaq-lakehouse Airflow bundle; the spec is rendered from infra/src/airflow/dag-spec.ts.",
    '"""',
    "",
    `from ${FACTORY_MODULE} import build_dag_from_file`,
    "",
    `dag = build_dag_from_file("${specFileName(spec.dagId)}")`,
    "",
  ].join("\n");
}
